package wechat

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mashang"
)

// scanFlat reads the shape WeChat pushes nearly always have: <xml>, then
// child elements each holding plain text or CDATA sections, then </xml>.
// It calls field for each child. Anything outside that shape (an XML
// declaration, a DOCTYPE, comments, nested elements, attributes, entity
// references, control characters, invalid UTF-8) makes it return false
// at once, and the caller parses with encoding/xml instead, which decides.
// So this is only ever a faster way to the same answer: the differential
// test and fuzz target check that.
//
// It exists because encoding/xml was the largest single cost of a callback
// (two documents per push in safe mode, the envelope and the message).
func scanFlat(doc []byte, field func(name, value []byte)) bool {
	rest := bytes.TrimSpace(doc)
	var ok bool
	if rest, ok = bytes.CutPrefix(rest, []byte("<xml>")); !ok {
		return false
	}
	if rest, ok = bytes.CutSuffix(rest, []byte("</xml>")); !ok {
		return false
	}
	for {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		if len(rest) == 0 {
			return true
		}
		if rest[0] != '<' {
			return false
		}
		end := bytes.IndexByte(rest, '>')
		if end < 2 {
			return false
		}
		name := rest[1:end]
		if !isSimpleName(name) {
			return false
		}
		rest = rest[end+1:]
		value, after, ok := scanValue(rest, name)
		if !ok {
			return false
		}
		field(name, value)
		rest = after
	}
}

// scanValue reads the content of one element up to its closing tag:
// either plain text (no markup, no entities) or one or more directly
// adjacent CDATA sections (how a "]]>" inside a value is written).
func scanValue(rest, name []byte) (value, after []byte, ok bool) {
	if !bytes.HasPrefix(rest, []byte("<![CDATA[")) {
		lt := bytes.IndexByte(rest, '<')
		if lt < 0 {
			return nil, nil, false
		}
		text := rest[:lt]
		if bytes.IndexByte(text, '&') >= 0 || bytes.IndexByte(text, '>') >= 0 || !cleanText(text) {
			return nil, nil, false
		}
		after, ok := closeTag(rest[lt:], name)
		return text, after, ok
	}
	var joined []byte
	sections := 0
	for bytes.HasPrefix(rest, []byte("<![CDATA[")) {
		rest = rest[len("<![CDATA["):]
		end := bytes.Index(rest, []byte("]]>"))
		if end < 0 {
			return nil, nil, false
		}
		section := rest[:end]
		if !cleanText(section) {
			return nil, nil, false
		}
		if sections == 0 {
			joined = section
		} else {
			joined = append(bytes.Clone(joined), section...)
		}
		sections++
		rest = rest[end+len("]]>"):]
	}
	after, ok = closeTag(rest, name)
	return joined, after, ok
}

func closeTag(rest, name []byte) ([]byte, bool) {
	if len(rest) < len(name)+3 || rest[0] != '<' || rest[1] != '/' ||
		!bytes.Equal(rest[2:2+len(name)], name) || rest[2+len(name)] != '>' {
		return nil, false
	}
	return rest[len(name)+3:], true
}

// isSimpleName accepts the element names WeChat uses: ASCII letters,
// digits and '_', starting with a letter.
func isSimpleName(b []byte) bool {
	if len(b) == 0 || len(b) > 64 {
		return false
	}
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_'):
		default:
			return false
		}
	}
	return true
}

// cleanText accepts valid UTF-8 with no control characters but tab, LF and
// CR: what XML allows in text. Carriage returns are left to encoding/xml,
// which normalises them.
func cleanText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' || c == '\r' {
			return false
		}
	}
	if !utf8.Valid(b) {
		return false
	}
	// U+FFFE and U+FFFF are not XML characters; encoding/xml refuses them.
	return !bytes.Contains(b, []byte("\uFFFE")) && !bytes.Contains(b, []byte("\uFFFF"))
}

// parseFlat fills an Inbound from a flat push. It accepts only the fields it
// knows: any other element goes to encoding/xml, whose typed fields decide
// what is valid. ok=false means "ask encoding/xml", never "invalid".
func parseFlat(doc []byte) (m mashang.Inbound, ok bool) {
	m.CreateTime = time.Unix(0, 0).UTC() // as the SDK's int64 field reads an absent CreateTime
	known := true
	scanned := scanFlat(doc, func(name, value []byte) {
		var err error
		switch string(name) {
		case "ToUserName":
			m.Account = string(value)
		case "FromUserName":
			m.OpenID = string(value)
		case "CreateTime":
			var n int64
			n, err = parseXMLInt(value)
			m.CreateTime = time.Unix(n, 0).UTC()
		case "MsgType":
			m.MsgType = string(value)
		case "MsgId":
			m.MsgID, err = parseXMLInt(value)
		case "Content":
			m.Content = string(value)
		case "PicUrl":
			m.PicURL = string(value)
		case "MediaId":
			m.MediaID = string(value)
		case "Format":
			m.Format = string(value)
		case "Recognition":
			m.Recognition = string(value)
		case "ThumbMediaId":
			m.ThumbMediaID = string(value)
		case "Location_X":
			m.LocationX, err = parseXMLFloat(value)
		case "Location_Y":
			m.LocationY, err = parseXMLFloat(value)
		case "Scale":
			var f float64
			f, err = parseXMLFloat(value)
			m.Scale = int(f)
		case "Label":
			m.Label = string(value)
		case "Title":
			m.Title = string(value)
		case "Description":
			m.Description = string(value)
		case "Url":
			m.URL = string(value)
		case "Event":
			m.Event = string(value)
		case "EventKey":
			m.EventKey = string(value)
		case "Ticket":
			m.Ticket = string(value)
		case "Latitude":
			m.Latitude, _ = strconv.ParseFloat(string(value), 64) // a string in the SDK's type
		case "Longitude":
			m.Longitude, _ = strconv.ParseFloat(string(value), 64)
		case "Precision":
			m.Precision, _ = strconv.ParseFloat(string(value), 64)
		default:
			known = false
		}
		if err != nil {
			known = false
		}
	})
	return m, scanned && known
}

// parseXMLInt and parseXMLFloat read numbers as encoding/xml does: empty is
// zero, surrounding white space is ignored.
func parseXMLInt(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, nil
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

func parseXMLFloat(b []byte) (float64, error) {
	if len(b) == 0 {
		return 0, nil
	}
	return strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
}

// encryptedField finds <Encrypt> in an envelope.
func encryptedField(doc []byte) (string, bool) {
	var encrypted []byte
	ok := scanFlat(doc, func(name, value []byte) {
		if string(name) == "Encrypt" {
			encrypted = value
		}
	})
	return string(encrypted), ok
}
