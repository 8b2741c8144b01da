package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"mashang/app"
	"mashang/configs"
)

// The README's address of the sandbox; the test serves elsewhere and puts
// its own address in its place.
const readmeBase = "http://127.0.0.1:8080"

// The README's sandbox section is run as written, in document order: each
// `go run ./cmd/mashang …` and `curl …` line of its sh blocks, and each
// sandbox URL its prose sends a reader to (deputies' pages through the fake
// WeChat's "who are you" page). A `<name>` is what an earlier step printed,
// as the README says. So the README cannot drift from the product.
func TestREADMEWalkthroughs(t *testing.T) {
	section := readmeSection(t, "## Trying it in the sandbox")
	a, base, env := startSandboxAt(t)
	vars := map[string]string{}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second}

	steps := 0
	for _, item := range walkthroughItems(section) {
		if item.url != "" {
			steps++
			openInBrowser(t, browser, strings.Replace(item.url, readmeBase, base, 1), vars)
			continue
		}
		for _, line := range item.commands {
			steps++
			words := shellWords(t, fillIn(t, line, vars))
			switch {
			case len(words) > 2 && words[0] == "go" && words[1] == "run" && words[2] == "./cmd/mashang":
				var out, errOut bytes.Buffer
				if code := run(context.Background(), words[3:], &out, &errOut, env); code != 0 {
					t.Fatalf("%s\nexited %d: %s%s", line, code, errOut.String(), out.String())
				}
				remember(vars, out.String())
			case words[0] == "curl":
				remember(vars, curl(t, words[1:], base))
			default:
				t.Fatalf("the README's walkthrough has a command the test cannot run: %s", line)
			}
		}
	}
	if steps < 12 {
		t.Fatalf("only %d steps found in the README's sandbox section: is the section or its blocks renamed?", steps)
	}

	// The simulated photo and voice arrived: fetched from the fake WeChat
	// and kept, none left failing.
	waitFor(t, func() bool {
		pending, err := a.DB.PendingMedia(context.Background(), time.Time{}, 1000, 10)
		return err == nil && len(pending) == 0
	})
	kept := map[string]int{}
	_ = filepath.WalkDir(a.Config.MediaDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			kept[filepath.Ext(path)]++
		}
		return nil
	})
	if kept[".jpg"] == 0 || kept[".amr"] == 0 {
		t.Fatalf("media kept: %v, want the simulated photo and voice", kept)
	}
}

// readmeSection is the README's section under heading, to the next "## ".
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	at := strings.Index(s, "\n"+heading+"\n")
	if at < 0 {
		t.Fatalf("the README has no section %q", heading)
	}
	s = s[at+len(heading)+2:]
	if end := strings.Index(s, "\n## "); end >= 0 {
		s = s[:end]
	}
	return s
}

type walkthroughItem struct {
	commands []string // an sh block's commands, continuation lines joined
	url      string   // a page the prose sends the reader to
}

var sandboxPage = regexp.MustCompile(`http://127\.0\.0\.1:8080/(?:d|h|sandbox)/[^\s)` + "`" + `]*`)

// walkthroughItems reads the section in order: sh blocks, and the pages of
// the phone and sandbox surfaces the prose names.
func walkthroughItems(section string) []walkthroughItem {
	var items []walkthroughItem
	lines := strings.Split(section, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) == "```sh" {
			var cmds []string
			var cur string
			for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
				l := strings.TrimSpace(lines[i])
				if more, ok := strings.CutSuffix(l, "\\"); ok {
					cur += more + " "
					continue
				}
				if cur += l; strings.TrimSpace(cur) != "" {
					cmds = append(cmds, cur)
				}
				cur = ""
			}
			items = append(items, walkthroughItem{commands: cmds})
			continue
		}
		for _, u := range sandboxPage.FindAllString(lines[i], -1) {
			items = append(items, walkthroughItem{url: strings.TrimRight(u, ".,:;")})
		}
	}
	return items
}

var placeholder = regexp.MustCompile(`<([a-z ]+)>`)

// fillIn puts what earlier steps printed in place of each <name>, after
// dropping the line's comment (where a <name> only says what it prints).
func fillIn(t *testing.T, line string, vars map[string]string) string {
	t.Helper()
	if at := strings.Index(line, "   #"); at >= 0 {
		line = line[:at]
	}
	return placeholder.ReplaceAllStringFunc(line, func(m string) string {
		v, ok := vars[m[1:len(m)-1]]
		if !ok {
			t.Fatalf("%s: no earlier step printed %s", line, m)
		}
		return v
	})
}

// What steps print, by the names the README gives them.
var printed = []struct {
	name string
	re   *regexp.Regexp
}{
	{"bind scene", regexp.MustCompile(`--scene (bind:\S+)`)},
	{"case number", regexp.MustCompile(`编号：(\d{6}-\d{4})`)},
	{"case number", regexp.MustCompile(`"number":\s*"(\d{6}-\d{4})"`)},
	{"token", regexp.MustCompile(`Bearer (\S+)' `)},
	{"upload id", regexp.MustCompile(`"id":\s*"([^"]+)"`)},
}

func remember(vars map[string]string, out string) {
	for _, p := range printed {
		if m := p.re.FindStringSubmatch(out); m != nil {
			vars[p.name] = m[1]
		}
	}
}

// shellWords splits a command as sh does for the quoting the README uses.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord, quote := false, byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		case c == '#' && !inWord:
			i = len(line)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("unclosed quote: %s", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// curl does what curl does with the flags the README uses (-X, -H, -d,
// -F name=@file) and fails the test on an answer other than 2xx.
func curl(t *testing.T, args []string, base string) string {
	t.Helper()
	method, target := "", ""
	header := http.Header{}
	var body io.Reader
	var form *multipart.Writer
	var formBody bytes.Buffer
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-X":
			i++
			method = args[i]
		case "-H":
			i++
			k, v, _ := strings.Cut(args[i], ":")
			header.Set(k, strings.TrimSpace(v))
		case "-d":
			i++
			body = strings.NewReader(args[i])
			if header.Get("Content-Type") == "" {
				header.Set("Content-Type", "application/x-www-form-urlencoded") // as curl does
			}
			if method == "" {
				method = http.MethodPost
			}
		case "-F":
			i++
			name, file, _ := strings.Cut(args[i], "=@")
			data, err := os.ReadFile(filepath.Join("../..", file))
			if err != nil {
				t.Fatalf("curl -F %s: %v", args[i], err)
			}
			if form == nil {
				form = multipart.NewWriter(&formBody)
			}
			w, _ := form.CreateFormFile(name, filepath.Base(file))
			_, _ = w.Write(data)
			if method == "" {
				method = http.MethodPost
			}
		default:
			target = strings.Replace(args[i], readmeBase, base, 1)
		}
	}
	if form != nil {
		_ = form.Close()
		body = &formBody
		header.Set("Content-Type", form.FormDataContentType())
	}
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	for k := range header {
		req.Header.Set(k, header.Get(k))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("curl %s %s: HTTP %d %s", method, target, resp.StatusCode, answer)
	}
	return string(answer)
}

var chooseDeputy = regexp.MustCompile(`name="wechat_fake_choose" value="([^"]+)"><button type="submit">代表 `)

// openInBrowser opens a page as a person would in an ordinary browser: a
// deputy's or handler's page leads to the fake WeChat's page that asks who
// one is, where the first deputy listed is chosen; the page must then
// answer, showing the latest case when it is a deputy's case list.
func openInBrowser(t *testing.T, browser *http.Client, page string, vars map[string]string) {
	t.Helper()
	get := func(u string) (*http.Response, string) {
		resp, err := browser.Get(u)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	resp, body := get(page)
	if resp.Request.URL.Path == "/connect/oauth2/authorize" { // the fake WeChat's page
		m := chooseDeputy.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s: the fake's authorisation page offers no bound deputy:\n%s", page, body)
		}
		q := resp.Request.URL.Query()
		q.Set("wechat_fake_choose", m[1])
		chosen := *resp.Request.URL
		chosen.RawQuery = q.Encode()
		resp, body = get(chosen.String())
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d at %s\n%s", page, resp.StatusCode, resp.Request.URL, body)
	}
	if u, _ := url.Parse(page); u.Path == "/d/cases" && !strings.Contains(body, vars["case number"]) {
		t.Fatalf("%s: the deputy's cases lack %s:\n%s", page, vars["case number"], body)
	}
}

// startSandboxAt serves the sandbox as `serve --sandbox` does, at a real
// address it was told (MASHANG_HTTP_ADDR), so that the links it makes
// (deputies' sign-in) lead back to it; the commands get the same settings.
func startSandboxAt(t *testing.T) (*app.App, string, func(string) string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env := envFrom(map[string]string{"MASHANG_DB_DSN": filepath.Join(t.TempDir(), "sandbox.db"),
		"MASHANG_MEDIA_DIR": t.TempDir(), "MASHANG_HTTP_ADDR": l.Addr().String()})
	cfg, err := configs.Load("", configs.Sandbox, env)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, app.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), PasswordCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	a.Start()
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return a, fmt.Sprintf("http://%s", l.Addr()), env
}
