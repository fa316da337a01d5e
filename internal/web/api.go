package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
)

// decodeJSON reads a JSON body strictly: the right content type, known fields only, one value.
func decodeJSON(c *gin.Context, v any) error {
	ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if ct != "application/json" {
		return &delphi.Error{Code: "unsupported", Message: fmt.Sprintf("send JSON with Content-Type: application/json (got %q)", c.GetHeader("Content-Type"))}
	}
	// Read it whole (the body is capped by limitBody) so as to refuse invalid UTF-8: the JSON
	// decoder would silently turn it into U+FFFD, and the text saved would not be the text sent.
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return jsonError(err)
	}
	if !utf8.Valid(body) {
		return malformed("the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return malformed("the body holds more than one JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return tooLarge(mbe.Limit)
	case errors.Is(err, io.EOF):
		return malformed("the body is empty: expected JSON")
	case errors.As(err, &se):
		return malformed("malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return &delphi.Error{Code: "malformed", Field: te.Field, Message: fmt.Sprintf("%s must be %s, not %s", fieldName(te.Field), te.Type, te.Value)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &delphi.Error{Code: "malformed", Field: f, Message: fmt.Sprintf("unknown field %q", f)}
	}
	return malformed("malformed JSON: %v", err)
}

func fieldName(f string) string {
	if f == "" {
		return "the value"
	}
	return f
}

func pathInt(c *gin.Context, name string) (int64, error) {
	v, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, delphi.Errorf(delphi.ENotFound, name, "%q is not a valid %s", c.Param(name), name)
	}
	return v, nil
}

// studyRound reads :sid and :n.
func studyRound(c *gin.Context) (int64, int, error) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		return 0, 0, err
	}
	n, err := pathInt(c, "n")
	if err != nil || n > 1000 {
		return 0, 0, delphi.Errorf(delphi.ENotFound, "n", "%q is not a round number", c.Param("n"))
	}
	return sid, int(n), nil
}
