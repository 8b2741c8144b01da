package wechat

import (
	"testing"
	"time"

	"mashang/wechat/wechattest"
)

func pushCorpus() [][]byte {
	at := time.Unix(1763800000, 0)
	pushes := []wechattest.Push{
		wechattest.Text("gh_a", "oA", 1, "你好 <&> ]]> \t 世界\n第二行", at),
		wechattest.Text("gh_a", "oA", 2, "", at),
		wechattest.Image("gh_a", "oA", 3, "media-1", at),
		wechattest.Voice("gh_a", "oA", 4, "media-2", "识别结果", at),
		wechattest.Location("gh_a", "oA", 5, 36.0566, 120.3468, "青岛", at),
		wechattest.Scan("gh_a", "oA", "st:demo", at),
		wechattest.SubscribeByScan("gh_a", "oA", "dp:d1", at),
		wechattest.Event("gh_a", "oA", "CLICK", "MY_CASES", at),
		{ToUserName: "gh_a", FromUserName: "oA", CreateTime: at, MsgType: "event", Event: "LOCATION", Latitude: 1.5, Longitude: 2.5, Precision: 3},
	}
	var docs [][]byte
	for _, p := range pushes {
		docs = append(docs, p.XML())
	}
	return append(docs,
		[]byte("<xml>\n  <ToUserName><![CDATA[gh_a]]></ToUserName>\n  <FromUserName>oA</FromUserName>\n  <CreateTime> 17 </CreateTime>\n  <MsgType>text</MsgType>\n</xml>\n"),
		[]byte("<xml><FromUserName>oA</FromUserName><MsgId>abc</MsgId></xml>"),
		[]byte("<xml><FromUserName>o&amp;A</FromUserName></xml>"),
		[]byte("<xml><MsgDataId>7</MsgDataId><FromUserName>oA</FromUserName></xml>"),
		[]byte("<?xml version=\"1.0\"?><xml><FromUserName>oA</FromUserName></xml>"),
		[]byte("<xml><Content><![CDATA[a]]><![CDATA[b]]></Content></xml>"),
		[]byte("<xml><Content><![CDATA[a]]> <![CDATA[b]]></Content></xml>"),
		[]byte("<xml><Content>a\rb</Content></xml>"),
		[]byte("<xml><Content>\xff</Content></xml>"),
		[]byte("<xml><Scale>1e3</Scale><CreateTime></CreateTime></xml>"),
	)
}

// Whenever the fast path answers, encoding/xml with the SDK's type gives the
// same message.
func TestFlatParseAgreesWithEncodingXML(t *testing.T) {
	fast := 0
	for _, doc := range pushCorpus() {
		if checkAgreement(t, doc) {
			fast++
		}
	}
	if fast < 10 {
		t.Fatalf("the fast path took only %d of the documents it exists for", fast)
	}
}

func FuzzFlatParseAgreesWithEncodingXML(f *testing.F) {
	for _, doc := range pushCorpus() {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc []byte) { checkAgreement(t, doc) })
}

func checkAgreement(t *testing.T, doc []byte) bool {
	t.Helper()
	got, ok := parseFlat(doc)
	if !ok {
		return false
	}
	want, err := parseMixMessage(doc)
	if err != nil {
		t.Fatalf("fast path accepted what encoding/xml refuses (%v):\n%q", err, doc)
	}
	if got.Account != want.Account || got.OpenID != want.OpenID || !got.CreateTime.Equal(want.CreateTime) ||
		got.MsgType != want.MsgType || got.MsgID != want.MsgID || got.Content != want.Content ||
		got.MediaID != want.MediaID || got.PicURL != want.PicURL || got.Format != want.Format ||
		got.Recognition != want.Recognition || got.ThumbMediaID != want.ThumbMediaID ||
		got.LocationX != want.LocationX || got.LocationY != want.LocationY || got.Scale != want.Scale ||
		got.Label != want.Label || got.Event != want.Event || got.EventKey != want.EventKey ||
		got.Ticket != want.Ticket || got.Latitude != want.Latitude || got.Longitude != want.Longitude ||
		got.Precision != want.Precision || got.Title != want.Title || got.Description != want.Description || got.URL != want.URL {
		t.Fatalf("fast path and encoding/xml disagree on %q:\nfast %+v\nxml  %+v", doc, got, want)
	}
	return true
}
