package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"mashang/wechat/wechattest"
)

// remoteBench is `mashang-bench callback --target URL`: the benchmark's
// signed, encrypted text pushes sent to a server that is already running —
// one instance, or nginx in front of several — instead of to servers the
// benchmark starts. The server must have the same Token, EncodingAESKey and
// AppID; they come from flags or from the environment serve reads
// (MASHANG_WECHAT_TOKEN, MASHANG_WECHAT_AES_KEY, MASHANG_WECHAT_APPID, and
// the _FILE forms of the secrets).
type remoteBench struct {
	url     *string
	token   *string
	aesKey  *string
	appID   *string
	account *string
	firstID *int64
	resend  *int
}

func addRemoteFlags(fs *flag.FlagSet) *remoteBench {
	return &remoteBench{
		url: fs.String("target", "", "send the pushes to this running callback URL (http only), e.g. http://127.0.0.1:18080/wechat/callback, "+
			"instead of starting servers; Token, key and AppID from the flags below or MASHANG_WECHAT_*"),
		token:   fs.String("token", "", "with --target: the server's Token (default $MASHANG_WECHAT_TOKEN or the file $MASHANG_WECHAT_TOKEN_FILE)"),
		aesKey:  fs.String("aes-key", "", "with --target: the EncodingAESKey (default $MASHANG_WECHAT_AES_KEY or the file $MASHANG_WECHAT_AES_KEY_FILE)"),
		appID:   fs.String("appid", "", "with --target: the Official Account's AppID (default $MASHANG_WECHAT_APPID)"),
		account: fs.String("account", "gh_bench00000001", "with --target: the Official Account's original id (ToUserName)"),
		firstID: fs.Int64("first-msgid", 0, "with --target: MsgId of the first push (default: from the clock, so each run's pushes are new)"),
		resend: fs.Int("resend", 0, "with --target: then send this many of the last round's pushes again, as WeChat retries; "+
			"each must be answered 200 and store nothing new"),
	}
}

// targetEnvSecret reads a setting the way serve does: NAME, or the file NAME_FILE
// names, which wins.
func targetEnvSecret(name string) (string, error) {
	v := os.Getenv(name)
	if file := os.Getenv(name + "_FILE"); file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		v = strings.TrimSpace(string(data))
	}
	return v, nil
}

func (b *remoteBench) run(ctx context.Context, n, conns, rounds int, stdout, stderr io.Writer) error {
	if n < 1 || rounds < 1 || conns < 1 || *b.resend < 0 || *b.resend > n {
		return fmt.Errorf("--target: -n, -c and --rounds must be at least 1, and --resend between 0 and -n")
	}
	target, err := url.Parse(*b.url)
	if err != nil || target.Scheme != "http" || target.Host == "" {
		return fmt.Errorf("--target %q: give an http:// URL with a host (the load generator speaks plain HTTP/1.1)", *b.url)
	}
	addr := target.Host
	if target.Port() == "" {
		addr = net.JoinHostPort(target.Hostname(), "80")
	}
	for _, s := range []struct {
		flag *string
		env  string
	}{{b.token, "MASHANG_WECHAT_TOKEN"}, {b.aesKey, "MASHANG_WECHAT_AES_KEY"}, {b.appID, "MASHANG_WECHAT_APPID"}} {
		if *s.flag == "" {
			if *s.flag, err = targetEnvSecret(s.env); err != nil {
				return err
			}
		}
		if *s.flag == "" {
			return fmt.Errorf("--target: no %s: give it as a flag or in the environment", s.env)
		}
	}
	signer := wechattest.CallbackSigner{URL: *b.url, Token: *b.token, AESKey: *b.aesKey, AppID: *b.appID, Mode: wechattest.ModeSafe}
	first := *b.firstID
	if first == 0 {
		// Microseconds since 1970: larger than any earlier run's, and far
		// from WeChat's own MsgIds in a shared database.
		first = time.Now().UnixMicro()
	}

	// WeChat's URL check tells a wrong Token from the rest; the first push,
	// sent alone and its answer decrypted, a wrong key or AppID.
	client := &http.Client{Timeout: 10 * time.Second}
	if err := b.checkURL(ctx, client, signer); err != nil {
		return err
	}

	var results []loadResult
	var last []preparedPush
	acknowledged, errs := 0, 0
	for r := range rounds {
		batch, err := prepare(signer, *b.account, n, first+int64(r*n))
		if err != nil {
			return err
		}
		if r == 0 {
			if err := b.checkPush(ctx, client, signer, addr, batch[0]); err != nil {
				return err
			}
			acknowledged++
			batch = batch[1:]
		}
		fmt.Fprintf(stderr, "bench: round %d/%d: %d pushes to %s\n", r+1, rounds, len(batch), *b.url)
		res := drive(ctx, addr, batch, conns)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		results = append(results, res)
		acknowledged += len(res.latencies)
		errs += res.errors
		last = batch
	}
	var resent loadResult
	if *b.resend > 0 {
		fmt.Fprintf(stderr, "bench: sending %d pushes again, as WeChat's retries\n", *b.resend)
		resent = drive(ctx, addr, last[:min(*b.resend, len(last))], conns)
	}

	sent := n * rounds
	all := loadResult{}
	for _, r := range results {
		all.elapsed += r.elapsed
		all.latencies = append(all.latencies, r.latencies...)
		all.errors += r.errors
	}
	fmt.Fprintf(stdout, "\ncallback benchmark against %s, %s, %s/%s, %d CPU here: %d rounds of %d distinct safe-mode text pushes, %d connections\n\n",
		*b.url, time.Now().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), rounds, n, conns)
	fmt.Fprintf(stdout, "%-8s %10s %9s %9s %9s %8s\n", "round", "req/s", "p50", "p99", "max", "errors")
	line := func(name string, r loadResult) {
		fmt.Fprintf(stdout, "%-8s %10.0f %9s %9s %9s %8d\n", name, r.throughput(), r.percentile(50), r.percentile(99), r.percentile(100), r.errors)
	}
	for i, r := range results {
		line(fmt.Sprint(i+1), r)
	}
	line("all", all)
	if *b.resend > 0 {
		line("resent", resent)
	}
	fmt.Fprintf(stdout, "\nsent %d distinct pushes (MsgId %d to %d, %d citizens), acknowledged %d, errors %d\n",
		sent, first, first+int64(sent)-1, min(sent, benchCitizens), acknowledged, errs)
	if *b.resend > 0 {
		fmt.Fprintf(stdout, "resent %d of them: acknowledged %d, errors %d (a retry stores nothing new)\n",
			*b.resend, len(resent.latencies), resent.errors)
	}
	// One line for scripts.
	fmt.Fprintf(stdout, "target-summary sent=%d acknowledged=%d errors=%d resent=%d resend_errors=%d first_msgid=%d last_msgid=%d req_per_s=%.0f p50_ms=%.2f p99_ms=%.2f\n",
		sent, acknowledged, errs, *b.resend, resent.errors, first, first+int64(sent)-1, all.throughput(),
		targetMillis(all.percentile(50)), targetMillis(all.percentile(99)))
	if errs > 0 || resent.errors > 0 {
		return fmt.Errorf("%d of %d pushes and %d of %d retries were not answered 200", errs, sent, resent.errors, *b.resend)
	}
	return nil
}

func targetMillis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (b *remoteBench) checkURL(ctx context.Context, client *http.Client, signer wechattest.CallbackSigner) error {
	echo := fmt.Sprintf("bench%d", time.Now().UnixNano())
	req, err := signer.VerifyURLRequest(echo)
	if err != nil {
		return err
	}
	status, body, err := fetch(ctx, client, req)
	if err != nil {
		return fmt.Errorf("--target: cannot reach %s: %w", *b.url, err)
	}
	if status != http.StatusOK || string(body) != echo {
		return fmt.Errorf("--target: URL check failed (is the Token the server's?): HTTP %d %s", status, strings.TrimSpace(string(body)))
	}
	return nil
}

// checkPush sends one prepared push through net/http and checks that its
// answer decrypts with the key and AppID the load is signed with.
func (b *remoteBench) checkPush(ctx context.Context, client *http.Client, signer wechattest.CallbackSigner, addr string, push preparedPush) error {
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(push)))
	if err != nil {
		return err
	}
	req.RequestURI, req.URL.Scheme, req.URL.Host = "", "http", addr
	status, body, err := fetch(ctx, client, req)
	if err != nil {
		return fmt.Errorf("--target: first push: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("--target: first push answered HTTP %d %s (are the EncodingAESKey and AppID the server's?)", status, strings.TrimSpace(string(body)))
	}
	if _, err := signer.OpenReply(body); err != nil {
		return fmt.Errorf("--target: first push: the answer does not open with this Token, key and AppID: %w", err)
	}
	return nil
}

// fetch sends req and reads at most 1 MiB of the answer.
func fetch(ctx context.Context, client *http.Client, req *http.Request) (status int, body []byte, err error) {
	resp, err := client.Do(req.WithContext(ctx))
	if err == nil {
		defer resp.Body.Close()
		status = resp.StatusCode
		body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	}
	return status, body, err
}
