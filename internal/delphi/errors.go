package delphi

import (
	"errors"
	"fmt"

	"github.com/cart-cd/delphi/internal/store"
)

// Error codes. Web maps each to one HTTP status; anything else is internal.
const (
	EInvalid      = "invalid"      // malformed or invalid input (422/400)
	ENotFound     = "not_found"    // 404
	EConflict     = "conflict"     // illegal state change: round already open, closed twice (409)
	EUnauthorized = "unauthorized" // no or bad credentials (401)
	EForbidden    = "forbidden"    // not allowed for this role or person (403)
	EGone         = "gone"         // expired or revoked invite link (410)
	ETooLarge     = "too_large"    // 413
	EInternal     = "internal"
)

// Error is an error a user can act on: what was wrong and where.
type Error struct {
	Code    string
	Message string
	Field   string // e.g. "answers[3].rating"
	Line    int    // for file input
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Field != "":
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Message)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	case e.Field != "":
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// Errorf returns an *Error with code and field.
func Errorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err's *Error, or EInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// notFound translates the store's not-found into a message about what was looked for.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, store.ErrNotFound) {
		return Errorf(ENotFound, "", format, args...)
	}
	return err
}
