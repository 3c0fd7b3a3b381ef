package web

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/beian/beian"
)

// U+0000 in a JSON string is refused at the edge with its own code (no
// field may hold it; PostgreSQL's text refuses it), across read boundaries;
// an escaped backslash followed by "u0000" is ordinary text.
func TestDecodeJSONRefusesNUL(t *testing.T) {
	decode := func(body string, chunk int) error {
		r := httptest.NewRequest("POST", "/", iotest.OneByteReader(strings.NewReader(body)))
		if chunk > 1 {
			r = httptest.NewRequest("POST", "/", strings.NewReader(body))
		}
		var v map[string]any
		return DecodeJSON(r, &v)
	}
	for _, body := range []string{`{"a":"\u0000"}`, `{"a":"x\u0000y"}`, `{"\u0000":1}`} {
		for _, chunk := range []int{1, 4096} {
			if err := decode(body, chunk); codeOf(err) != "request.nul_character" {
				t.Errorf("%s (chunk %d): %v, want request.nul_character", body, chunk, err)
			}
		}
	}
	for _, body := range []string{`{"a":"\\u0000"}`, `{"a":"\u0001\u0010"}`, `{"a":"\u1000"}`, `{"a":"u0000"}`} {
		if err := decode(body, 1); err != nil {
			t.Errorf("%s refused: %v", body, err)
		}
	}
	if !HasNUL(map[string][]string{"name": {"a\x00"}}) || HasNUL(map[string][]string{"name": {"a"}}) {
		t.Error("HasNUL")
	}
}

func codeOf(err error) string {
	var be *beian.Error
	if errors.As(err, &be) {
		return be.Code
	}
	return ""
}
