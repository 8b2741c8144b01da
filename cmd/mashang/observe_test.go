package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The people on call read the service at /metrics: pushes by type and
// outcome with their latency, the outbox's depth and what WeChat answered,
// token fetches, requests by route. Only this host may read it by default.
func TestMetricsTellWhatHappened(t *testing.T) {
	a, srv := startSandbox(t)
	const deputy, citizen = "oMetricsDeputy00000000000000", "oMetricsCitizen0000000000000"
	bindAndWrite(t, a, srv, deputy, citizen)
	// Delivered, and recorded as sent: WeChat has it before the outbox
	// writes down that it does.
	waitFor(t, func() bool {
		rows, err := a.DB.OutboxRows(context.Background())
		return len(a.Sandbox.Delivered(deputy)) == 1 && err == nil && len(rows) == 1 && rows[0].Status == "sent"
	})
	// A forged push is counted as refused.
	resp, err := http.Post(srv.URL+"/wechat/callback?signature=0&timestamp=1&nonce=2&msg_signature=3&encrypt_type=aes", "text/xml", strings.NewReader("<xml/>"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	page := get(t, srv.URL+"/metrics", http.StatusOK)
	for _, want := range []string{
		`mashang_callbacks_total{endpoint="oa",outcome="stored",type="event/subscribe"} 2`,
		`mashang_callbacks_total{endpoint="oa",outcome="stored",type="text"} 2`,
		`mashang_callback_duration_seconds_bucket{endpoint="oa",outcome="stored",le="5"}`,
		`mashang_http_requests_total{code="200",method="POST",route="/wechat/callback"}`,
		`mashang_outbox_sends_total{errcode="0",kind="template",outcome="sent"} 1`,
		`mashang_outbox_pending 0`,
		`mashang_outbox_stats_up 1`,
		`mashang_wechat_token_refreshes_total{api="stable_token"}`,
		`mashang_wechat_api_calls_total{path="/cgi-bin/message/template/send",status="200"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("/metrics lacks %s in\n%s", want, grepLines(page, "mashang_callbacks_total"))
		}
	}
	if n := counter(t, page, `mashang_callbacks_total{endpoint="oa",outcome="refused_signature",type="unknown"}`); n < 1 {
		t.Errorf("the forged push was not counted as refused: %v", n)
	}
	// A path nobody routes does not mint a series of its own.
	get(t, srv.URL+"/no/such/path/12345", http.StatusNotFound)
	if page := get(t, srv.URL+"/metrics", http.StatusOK); strings.Contains(page, "12345") || !strings.Contains(page, `route="unmatched"`) {
		t.Error("an unrouted path became a label")
	}

	_, elsewhere := startSandbox(t, "MASHANG_METRICS_ALLOW", "192.0.2.0/24")
	if body := get(t, elsewhere.URL+"/metrics", http.StatusForbidden); !strings.Contains(body, "MASHANG_METRICS_ALLOW") {
		t.Errorf("refusal: %s", body)
	}
}

func get(t *testing.T, url string, status int) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: %d, want %d: %s", url, resp.StatusCode, status, body)
	}
	return string(body)
}

func counter(t *testing.T, page, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta(series) + ` (\S+)`).FindStringSubmatch(page)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func grepLines(page, prefix string) string {
	var out []string
	for _, l := range strings.Split(page, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
