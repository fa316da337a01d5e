package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
	"time"
)

// lockedBuffer is a bytes.Buffer safe to read while the server writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// startServe runs `delphi serve` on a free port and returns its base URL, its stdout and a stop func.
func startServe(t *testing.T, db string, env map[string]string) (string, *lockedBuffer, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errb := &lockedBuffer{}, &lockedBuffer{}
	getenv := func(k string) string { return env[k] }
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-db", db}, getenv, strings.NewReader(""), out, errb)
	}()
	re := regexp.MustCompile(`listening on (\S+)`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			url := "http://" + m[1]
			return url, out, func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("serve: %v\n%s", err, errb.String())
				}
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s\n%s", out.String(), errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServeFirstStartAndRestart(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "delphi.db")
	url, out, stop := startServe(t, db, map[string]string{})
	for _, p := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(url + p)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, err, res)
		}
		res.Body.Close()
	}
	// the random admin password is printed once, with the console URL
	m := regexp.MustCompile(`sign in as admin@localhost with password (\S+)`).FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "/console") {
		t.Fatalf("first start output:\n%s", out.String())
	}
	pw := m[1]
	tok := login(t, url, "admin@localhost", pw)
	studies := get(t, url+"/api/v1/studies", tok)
	if !strings.Contains(studies, `"survey":"cart-cd"`) {
		t.Fatalf("no CART-CD study on first start: %s", studies)
	}
	key1, err := os.ReadFile(filepath.Join(dir, "data", "delphi.key"))
	if err != nil {
		t.Fatal(err)
	}
	stop()

	// restart: same data, same key, same password, no second study, no new password printed
	url, out, stop = startServe(t, db, map[string]string{})
	defer stop()
	if strings.Contains(out.String(), "password") {
		t.Fatalf("restart printed a password:\n%s", out.String())
	}
	key2, _ := os.ReadFile(filepath.Join(dir, "data", "delphi.key"))
	if !bytes.Equal(key1, key2) {
		t.Fatal("signing key changed on restart")
	}
	tok = login(t, url, "admin@localhost", pw)
	var list []map[string]any
	if err := json.Unmarshal([]byte(get(t, url+"/api/v1/studies", tok)), &list); err != nil || len(list) != 1 {
		t.Fatalf("studies after restart: %v %v", list, err)
	}
}

func TestServeAdminPasswordFromEnv(t *testing.T) {
	db := filepath.Join(t.TempDir(), "delphi.db")
	url, out, stop := startServe(t, db, map[string]string{"DELPHI_ADMIN_PASSWORD": "a chosen password", "DELPHI_ADMIN_EMAIL": "lead@example.org"})
	defer stop()
	if strings.Contains(out.String(), "a chosen password") {
		t.Fatal("printed the configured password")
	}
	login(t, url, "lead@example.org", "a chosen password")
}

func TestMigrateCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "delphi.db")
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"migrate", "-db", db}, func(string) string { return "" }, nil, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	if !regexp.MustCompile(`schema at \d{4}_\w+ \(\d+ migrations\)`).MatchString(out.String()) {
		t.Fatalf("migrate output %q", out.String())
	}
}

func login(t *testing.T, url, email, pw string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": pw})
	res, err := http.Post(url+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
		t.Fatalf("login %s: %d %v", email, res.StatusCode, err)
	}
	return out.Token
}

func get(t *testing.T, url, tok string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(bufio.NewReader(res.Body))
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return string(b)
}

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode) // main sets release mode; tests call run directly
	os.Exit(m.Run())
}
