package store

import (
	"errors"

	"github.com/mattn/go-sqlite3"
)

// UnavailableError is a write the database could not take for a reason outside the request:
// the disk is full, the file is read-only, or the disk failed. Nothing of the unit was
// committed; the same request may succeed once the condition clears. Callers outside store
// recognise it by its Unavailable method, without importing store.
type UnavailableError struct {
	Reason string // "the disk is full", "the database is read-only", "a disk error"
	Err    error
}

func (e *UnavailableError) Error() string {
	return "database cannot be written (" + e.Reason + "): " + e.Err.Error()
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Unavailable says why the database cannot be written.
func (e *UnavailableError) Unavailable() string { return e.Reason }

// unavailable returns an *UnavailableError for SQLite's disk full, read-only and I/O errors,
// and nil for any other error.
func unavailable(err error) error {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch se.Code {
	case sqlite3.ErrFull:
		return &UnavailableError{Reason: "the disk is full", Err: err}
	case sqlite3.ErrReadonly:
		return &UnavailableError{Reason: "the database is read-only", Err: err}
	case sqlite3.ErrIoErr, sqlite3.ErrCantOpen:
		return &UnavailableError{Reason: "a disk error", Err: err}
	}
	return nil
}
