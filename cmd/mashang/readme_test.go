package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"html"
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
	var page *browserPage
	items := walkthroughItems(section)
	for i, item := range items {
		switch {
		case item.window:
			// Each walkthrough in a new private window, as the README asks.
			jar, _ := cookiejar.New(nil)
			browser.Jar, page = jar, nil
		case item.url != "":
			steps++
			page = openInBrowser(t, browser, strings.Replace(fillIn(t, item.url, vars), readmeBase, base, 1), whomToChoose(items[i+1:]), vars)
		case item.shows != "":
			steps++
			if want := fillIn(t, item.shows, vars); page == nil || !strings.Contains(page.body, want) {
				t.Fatalf("the README says the page shows 「%s」; it does not:\n%s", want, page)
			}
		case item.write[0] != "":
			if page == nil {
				t.Fatalf("the README says to write 「%s」 before it opens a page", item.write[1])
			}
			page.pending = append(page.pending, [2]string{item.write[0], fillIn(t, item.write[1], vars)})
		case item.tap != "":
			steps++
			page = page.tap(t, browser, item.tap, base)
		}
		for _, line := range item.commands {
			steps++
			words := shellWords(t, fillIn(t, line, vars))
			input := ""
			if len(words) > 3 && words[0] == "echo" && words[2] == "|" { // a password piped in
				input, words = words[1]+"\n", words[3:]
			}
			switch {
			case len(words) > 2 && words[0] == "go" && words[1] == "run" && words[2] == "./cmd/mashang":
				var out, errOut bytes.Buffer
				stdin = strings.NewReader(input)
				code := run(context.Background(), words[3:], &out, &errOut, env)
				stdin = os.Stdin
				if code != 0 {
					t.Fatalf("%s\nexited %d: %s%s", line, code, errOut.String(), out.String())
				}
				remember(vars, out.String())
			case words[0] == "curl" && input == "":
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
	commands []string  // an sh block's commands, continuation lines joined
	url      string    // a page the prose sends the reader to
	window   bool      // a new walkthrough: a new private window
	choose   string    // whom to choose on the fake's authorisation page
	shows    string    // what the page must show
	write    [2]string // a field's label and what to write in it
	tap      string    // the button to tap
}

// proseStep is what the README's prose asks a reader to do, in the words it
// uses: open a sandbox page, choose `someone`, see that the page shows 「…」,
// write 「…」 under 「a field」, tap 「a button」.
var proseStep = regexp.MustCompile(`(http://127\.0\.0\.1:8080/(?:d|h|sandbox|console)/(?:<[a-z ]+>|[^\s)<` + "`" + `])*)` +
	"|choose `([^`]+)`|shows 「([^」]+)」|write 「([^」]+)」 under 「([^」]+)」|tap 「([^」]+)」")

// walkthroughItems reads the section in order: sh blocks, and the steps its
// prose asks for, paragraph by paragraph.
func walkthroughItems(section string) []walkthroughItem {
	var items []walkthroughItem
	var paragraph []string
	prose := func() {
		for _, m := range proseStep.FindAllStringSubmatch(strings.Join(paragraph, " "), -1) {
			switch {
			case m[1] != "":
				items = append(items, walkthroughItem{url: strings.TrimRight(m[1], ".,:;")})
			case m[2] != "":
				items = append(items, walkthroughItem{choose: m[2]})
			case m[3] != "" && m[3] != "…":
				items = append(items, walkthroughItem{shows: m[3]})
			case m[4] != "" && m[4] != "…":
				items = append(items, walkthroughItem{write: [2]string{m[5], m[4]}})
			case m[6] != "" && m[6] != "…":
				items = append(items, walkthroughItem{tap: m[6]})
			}
		}
		paragraph = nil
	}
	lines := strings.Split(section, "\n")
	for i := 0; i < len(lines); i++ {
		switch l := strings.TrimSpace(lines[i]); {
		case l == "```sh":
			prose()
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
		case strings.HasPrefix(l, "### "):
			prose()
			items = append(items, walkthroughItem{window: true})
		case l == "":
			prose()
		default:
			paragraph = append(paragraph, l)
		}
	}
	prose()
	return items
}

// whomToChoose is the `choose` that follows a page, before the next page.
func whomToChoose(rest []walkthroughItem) string {
	for _, item := range rest {
		if item.url != "" || item.window || len(item.commands) > 0 {
			break
		}
		if item.choose != "" {
			return item.choose
		}
	}
	return ""
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
	{"staff bind scene", regexp.MustCompile(`--scene (sb:\S+)`)},
	{"slot id", regexp.MustCompile(`"slots":\s*\[\s*\{\s*"id":\s*(\d+)`)},
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

// browserPage is the page the reader has open, and what they have written
// in its fields but not yet sent (label, text).
type browserPage struct {
	url     *url.URL
	body    string
	pending [][2]string
}

func (p *browserPage) String() string {
	if p == nil {
		return "(no page open)"
	}
	return p.url.String() + "\n" + p.body
}

// openInBrowser opens a page as a person would in an ordinary browser: a
// deputy's or handler's page leads to the fake WeChat's page that asks who
// one is, where whom the README says to choose is chosen; the page must
// then answer, showing the latest case when it is a deputy's case list.
func openInBrowser(t *testing.T, browser *http.Client, page, whom string, vars map[string]string) *browserPage {
	t.Helper()
	resp, body := browse(t, browser, http.MethodGet, page, "", nil)
	if resp.Request.URL.Path == "/connect/oauth2/authorize" { // the fake WeChat's page
		if whom == "" {
			t.Fatalf("%s: the fake asks who one is, and the README does not say whom to choose", page)
		}
		m := regexp.MustCompile(`name="wechat_fake_choose" value="([^"]+)"><button type="submit">` + regexp.QuoteMeta(whom)).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s: the fake's authorisation page does not offer %q:\n%s", page, whom, body)
		}
		q := resp.Request.URL.Query()
		q.Set("wechat_fake_choose", m[1])
		chosen := *resp.Request.URL
		chosen.RawQuery = q.Encode()
		resp, body = browse(t, browser, http.MethodGet, chosen.String(), "", nil)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d at %s\n%s", page, resp.StatusCode, resp.Request.URL, body)
	}
	if u, _ := url.Parse(page); u.Path == "/d/cases" && !strings.Contains(body, vars["case number"]) {
		t.Fatalf("%s: the deputy's cases lack %s:\n%s", page, vars["case number"], body)
	}
	return &browserPage{url: resp.Request.URL, body: body}
}

// browse asks for a page in the browser's session, following redirects,
// and reads the whole answer.
func browse(t *testing.T, browser *http.Client, method, target, contentType string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	}
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp, string(answer)
}

var (
	pageForm    = regexp.MustCompile(`(?s)<form([^>]*)>(.*?)</form>`)
	formAttr    = regexp.MustCompile(`(\w+)="([^"]*)"`)
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// tap sends the form whose button reads button, with what was written in
// its fields, as the browser would; the page it leads to must answer.
func (p *browserPage) tap(t *testing.T, browser *http.Client, button, base string) *browserPage {
	t.Helper()
	if p == nil {
		t.Fatalf("the README says to tap 「%s」 before it opens a page", button)
	}
	for _, f := range pageForm.FindAllStringSubmatch(p.body, -1) {
		if !strings.Contains(f[2], "<button>"+button) && !strings.Contains(f[2], `">`+button+"</button>") {
			continue
		}
		attrs := map[string]string{}
		for _, a := range formAttr.FindAllStringSubmatch(f[1], -1) {
			attrs[a[1]] = html.UnescapeString(a[2])
		}
		fields := url.Values{}
		for _, h := range hiddenInput.FindAllStringSubmatch(f[2], -1) {
			fields.Add(h[1], html.UnescapeString(h[2]))
		}
		for _, w := range p.pending {
			m := regexp.MustCompile(`<label>` + regexp.QuoteMeta(w[0]) + `(?:[^<]|<br>)*<(?:textarea|input)[^>]*name="([^"]+)"`).FindStringSubmatch(f[2])
			if m == nil {
				t.Fatalf("the form of 「%s」 has no field 「%s」 to write in:\n%s", button, w[0], f[0])
			}
			fields.Set(m[1], w[1])
		}
		var body bytes.Buffer
		contentType := "application/x-www-form-urlencoded"
		if attrs["enctype"] == "multipart/form-data" {
			form := multipart.NewWriter(&body)
			for k, vs := range fields {
				for _, v := range vs {
					_ = form.WriteField(k, v)
				}
			}
			_ = form.Close()
			contentType = form.FormDataContentType()
		} else {
			body.WriteString(fields.Encode())
		}
		action, err := p.url.Parse(attrs["action"])
		if err != nil {
			t.Fatal(err)
		}
		resp, answer := browse(t, browser, strings.ToUpper(cmp.Or(attrs["method"], "get")), action.String(), contentType, &body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("tap 「%s」: HTTP %d at %s\n%s", button, resp.StatusCode, resp.Request.URL, answer)
		}
		return &browserPage{url: resp.Request.URL, body: answer}
	}
	t.Fatalf("the page has no button 「%s」:\n%s", button, p)
	return nil
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

// The README's table of commands and `mashang help` name the same
// commands: each one help lists has its row, and each row is a command
// help lists, down to the subcommand.
func TestTheREADMEListsEveryCommand(t *testing.T) {
	listed := map[string]bool{}
	for _, line := range strings.Split(usage, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "mashang "); ok {
			rest, _, _ = strings.Cut(rest, "  ") // the description column
			for _, c := range commandWords(rest) {
				listed[c] = true
			}
		}
	}
	if len(listed) < 10 {
		t.Fatalf("read only %v from mashang help", listed)
	}
	section := readmeSection(t, "## Commands")
	for c := range listed {
		if !strings.Contains(section, "`mashang "+c) {
			t.Errorf("`mashang %s` is in mashang help but not in the README's Commands table", c)
		}
	}
	rows := 0
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `mashang ") {
			continue
		}
		rows++
		first := strings.Split(strings.ReplaceAll(line, `\|`, "|"), "` |")[0]
		for _, cell := range strings.Split(first, "`") {
			rest, ok := strings.CutPrefix(cell, "mashang ")
			if !ok {
				continue
			}
			for _, c := range commandWords(rest) {
				known := false
				for l := range listed {
					known = known || c == l || strings.HasPrefix(c, l+" ")
				}
				if !known {
					t.Errorf("the README's Commands table has `mashang %s`, which mashang help does not list", c)
				}
			}
		}
	}
	if rows < 10 {
		t.Fatalf("only %d rows in the README's Commands table", rows)
	}
}

// commandWords reads the command a usage line names — its lowercase words
// up to the first argument or flag — with a|b read as two commands.
func commandWords(line string) []string {
	out := []string{""}
	for _, w := range strings.Fields(line) {
		alts := strings.Split(w, "|")
		ok := true
		for _, a := range alts {
			ok = ok && regexp.MustCompile(`^[a-z][a-z-]*$`).MatchString(a)
		}
		if !ok {
			break
		}
		var next []string
		for _, o := range out {
			for _, a := range alts {
				next = append(next, strings.TrimSpace(o+" "+a))
			}
		}
		out = next
	}
	if out[0] == "" {
		return nil
	}
	return out
}

// The README describes what is built: no section marked as unfinished, no
// promise of what a later version will bring.
func TestTheREADMEClaimsNothingUnfinished(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, phrase := range []string{"in progress", "until the console brings", "TODO", "TBD", "coming soon", "not yet implemented", "will come"} {
		if at := strings.Index(string(data), phrase); at >= 0 { // as written: /console/todo is a page
			line := strings.Count(string(data[:at]), "\n") + 1
			t.Errorf("README.md line %d says %q: say what is built, or leave it out", line, phrase)
		}
	}
}
