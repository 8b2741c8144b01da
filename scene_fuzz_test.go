package mashang_test

import (
	"strings"
	"testing"

	"mashang"
)

var scenePrefixes = map[mashang.SceneKind]string{
	mashang.SceneStation:   mashang.ScenePrefixStation,
	mashang.SceneDeputy:    mashang.ScenePrefixDeputy,
	mashang.SceneBind:      mashang.ScenePrefixBind,
	mashang.SceneStaffBind: mashang.ScenePrefixStaffBind,
	mashang.SceneActivity:  mashang.ScenePrefixActivity,
	mashang.SceneDesk:      mashang.ScenePrefixDesk,
}

// FuzzParseScene reads arbitrary scene strings, as a scan's EventKey, the
// Mini Program's scene and the /s/:scene and /codes/:file routes hand them
// over. Nothing panics, and:
//
//   - a scene that parses is at most MaxSceneLength (WeChat's 32 for a Mini
//     Program code), carries a code ValidCode accepts, and formats back to
//     exactly the string read; anything else is SceneUnknown with no code,
//     formatting to "";
//   - built the other way, a scene of any kind formats to a string that
//     parses back to it exactly when its code is valid and the whole fits
//     MaxSceneLength (the one-time tokens, 16 characters, always do);
//   - a follow-by-scan loses WeChat's "qrscene_" prefix once, never more.
func FuzzParseScene(f *testing.F) {
	for _, s := range []string{
		"st:demo-bdg", "dp:demo-d01", "bind:ABCDEFGHJKMNPQRS", "sb:ABCDEFGHJKMNPQRS", "ac:ABCDEFGHJKMNPQRS",
		"st:", "st:a", "xx:demo", "", "st:" + strings.Repeat("a", 29), "st:" + strings.Repeat("a", 30),
		"bind:" + strings.Repeat("a", 27), "bind:" + strings.Repeat("a", 28),
		"st:../../etc/passwd", "st:'; DROP TABLE cases; --", "dp:\" OR 1=1", "st:a\x00b", "st:\xff", "st:站点",
		"qrscene_st:demo", "st:demo-bdg\n", " st:demo-bdg", "ST:demo-bdg", "st:st:demo",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc := mashang.ParseScene(s)
		if sc.Kind == mashang.SceneUnknown {
			if sc.Code != "" || sc.String() != "" {
				t.Fatalf("unknown scene %q read as %+v, formatting to %q", s, sc, sc.String())
			}
		} else {
			if len(s) > mashang.MaxSceneLength {
				t.Fatalf("%q (%d bytes) parsed over the %d limit", s, len(s), mashang.MaxSceneLength)
			}
			if !mashang.ValidCode(sc.Code) || !strings.HasPrefix(s, scenePrefixes[sc.Kind]) {
				t.Fatalf("%q parsed as %+v", s, sc)
			}
			if sc.String() != s {
				t.Fatalf("%q parsed as %+v, which formats as %q", s, sc, sc.String())
			}
		}
		for kind, prefix := range scenePrefixes {
			built := mashang.Scene{Kind: kind, Code: s}
			fits := mashang.ValidCode(s) && len(prefix)+len(s) <= mashang.MaxSceneLength
			if back := mashang.ParseScene(built.String()); (back == built) != fits {
				t.Fatalf("%+v formats as %q, which parses back as %+v (valid and fits: %v)", built, built.String(), back, fits)
			}
		}
		follow := mashang.Inbound{MsgType: mashang.MsgEvent, Event: mashang.EventSubscribe, EventKey: "qrscene_" + s}
		if got, ok := follow.Scene(); got != s || ok != (s != "") {
			t.Fatalf("follow-by-scan of %q carried %q, %v", s, got, ok)
		}
		scan := mashang.Inbound{MsgType: mashang.MsgEvent, Event: mashang.EventScan, EventKey: s}
		if got, ok := scan.Scene(); got != s || ok != (s != "") {
			t.Fatalf("scan of %q carried %q, %v", s, got, ok)
		}
	})
}
