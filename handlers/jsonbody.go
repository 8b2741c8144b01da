package handlers

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"mashang"
)

// decodeJSON reads a JSON object of at most max bytes into v, refusing
// fields v does not have. What stops it is answered as a sentence that
// names the field or the problem, never as encoding/json's own text.
func decodeJSON(c *gin.Context, v any, max int64) error {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, max))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err, max)
	}
	return nil
}

// bodyError says in Chinese why a JSON body was refused.
func bodyError(err error, max int64) error {
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return mashang.Errorf(eTooLarge, "请求体不能超过%dKB", max>>10)
	case errors.Is(err, io.EOF):
		return mashang.Errorf(mashang.EINVALID, "请求体是空的，请发送 JSON")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return mashang.Errorf(mashang.EINVALID, "请求体不完整，JSON 没有结束")
	case errors.As(err, &syntax):
		return mashang.Errorf(mashang.EINVALID, "请求体不是有效的 JSON（第%d个字节处有误）", syntax.Offset)
	case errors.As(err, &typeErr) && typeErr.Field == "": // the body itself, e.g. an array
		return mashang.Errorf(mashang.EINVALID, "请求体应为一个 JSON 对象 {…}")
	case errors.As(err, &typeErr):
		return mashang.Errorf(mashang.EINVALID, "字段「%s」%s", typeErr.Field, wantedType(typeErr))
	}
	// encoding/json has no type for an unknown field: only its text says which.
	if quoted, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, uerr := strconv.Unquote(quoted)
		switch {
		case uerr != nil:
		case name == "":
			return mashang.Errorf(mashang.EINVALID, "请求中有一个名字为空的字段")
		default:
			return mashang.Errorf(mashang.EINVALID, "不认识的字段「%s」", shorten(name, 40))
		}
	}
	return mashang.Errorf(mashang.EINVALID, "请求体无法读取，请重新发送")
}

// wantedType says what a field should have held.
func wantedType(e *json.UnmarshalTypeError) string {
	literal, number := strings.CutPrefix(e.Value, "number ") // a number that did not fit
	switch e.Type.Kind() {
	case reflect.String:
		return "应为字符串"
	case reflect.Bool:
		return "应为 true 或 false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if number && !strings.ContainsAny(literal, ".eE") {
			return "超出了允许的范围"
		}
		return "应为整数"
	case reflect.Float32, reflect.Float64:
		if number {
			return "超出了允许的范围"
		}
		return "应为数字"
	case reflect.Slice, reflect.Array:
		return "应为数组 […]"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "应为对象 {…}"
	}
	return "的类型不对"
}

// shorten keeps the first n characters of what a client sent, to quote it.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
