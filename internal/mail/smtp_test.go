package mail

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// relay is a real SMTP server (emersion/go-smtp) on 127.0.0.1, keeping what it is given.
type relay struct {
	addr string
	cert *x509.Certificate // set when the relay offers STARTTLS

	mu       sync.Mutex
	received []received
	inData   chan struct{} // a message's DATA has begun (stall mode)
}

type received struct {
	from, to string
	data     []byte
	tls      bool
	user     string
}

type relayOpts struct {
	tls      bool   // offer STARTTLS (self-signed certificate for 127.0.0.1)
	user     string // require AUTH PLAIN as user/"secret"
	refuse   string // recipient refused with 550
	stalling bool   // never answer the end of DATA
}

func startRelay(t *testing.T, o relayOpts) *relay {
	t.Helper()
	r := &relay{inData: make(chan struct{}, 1)}
	stop := make(chan struct{})
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &relaySession{r: r, o: o, tls: isTLS, stop: stop}, nil
	}))
	srv.Domain = "relay.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	if o.tls {
		cert, leaf := selfSigned(t)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		r.cert = leaf
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() {
		close(stop)
		srv.Close()
	})
	return r
}

// smtpFor is a client configured for the relay.
func (r *relay) smtpFor(t *testing.T) SMTP {
	host, port, err := net.SplitHostPort(r.addr)
	if err != nil {
		t.Fatal(err)
	}
	m := SMTP{Host: host, Port: port, From: "Delphi <delphi@example.org>", DialTimeout: 2 * time.Second, SendTimeout: 5 * time.Second}
	if r.cert != nil {
		pool := x509.NewCertPool()
		pool.AddCert(r.cert)
		m.TLSConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return m
}

func (r *relay) messages() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.received...)
}

type relaySession struct {
	r    *relay
	o    relayOpts
	tls  bool
	stop chan struct{}
	user string
	from string
	to   []string
}

func (s *relaySession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *relaySession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.o.user || pass != "secret" {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error {
	if s.o.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == s.o.refuse {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *relaySession) Data(rd io.Reader) error {
	if s.o.stalling {
		s.r.inData <- struct{}{}
		<-s.stop
		return errors.New("stopped")
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	for _, to := range s.to {
		s.r.received = append(s.r.received, received{from: s.from, to: to, data: b, tls: s.tls, user: s.user})
	}
	return nil
}

func (s *relaySession) Reset()        { s.from, s.to = "", nil }
func (s *relaySession) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1.
func selfSigned(t *testing.T) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// part is one decoded body part.
type part struct{ contentType, body string }

// parseMessage reads a received message: its headers and its decoded text parts.
func parseMessage(t *testing.T, data []byte) (netmail.Header, []part) {
	t.Helper()
	msg, err := netmail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, data)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		return msg.Header, []part{{mt, decodeBody(t, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)}}
	}
	if mt != "multipart/alternative" {
		t.Fatalf("Content-Type %s, want multipart/alternative", mt)
	}
	var parts []part
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts = append(parts, part{pt, decodeBody(t, p.Header.Get("Content-Transfer-Encoding"), p)})
	}
	return msg.Header, parts
}

func decodeBody(t *testing.T, cte string, r io.Reader) string {
	t.Helper()
	if strings.EqualFold(cte, "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

// TestSendDelivers: what the relay receives has the right envelope, headers and body, in
// every mode the configuration allows.
func TestSendDelivers(t *testing.T) {
	subject := "Einladung: CART-CD – Runde 2"
	text := "Guten Tag Dr. Müller,\n\nIhr Link:\nhttp://localhost:8080/r/abc.def\n"
	html := "<p>Guten Tag Dr. Müller,</p>\n<p><a href=\"http://localhost:8080/r/abc.def\">Ihr Link</a></p>\n"
	tests := []struct {
		name      string
		opts      relayOpts
		html      string
		wantParts []part
	}{
		{"plain text", relayOpts{}, "", []part{{"text/plain", text}}},
		{"text and HTML", relayOpts{}, html, []part{{"text/plain", text}, {"text/html", html}}},
		{"STARTTLS and AUTH", relayOpts{tls: true, user: "delphi"}, "", []part{{"text/plain", text}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startRelay(t, tt.opts)
			m := r.smtpFor(t)
			if tt.opts.user != "" {
				m.User, m.Password = tt.opts.user, "secret"
			}
			err := m.SendMessage(context.Background(), Message{To: "anna.mueller@example.org", Subject: subject, Text: text, HTML: tt.html})
			if err != nil {
				t.Fatal(err)
			}
			got := r.messages()
			if len(got) != 1 {
				t.Fatalf("relay received %d messages, want 1", len(got))
			}
			rc := got[0]
			if rc.from != "delphi@example.org" || rc.to != "anna.mueller@example.org" {
				t.Errorf("envelope from %q to %q", rc.from, rc.to)
			}
			if rc.tls != tt.opts.tls || rc.user != tt.opts.user {
				t.Errorf("relay saw TLS %v, user %q; want %v, %q", rc.tls, rc.user, tt.opts.tls, tt.opts.user)
			}
			h, parts := parseMessage(t, rc.data)
			var dec mime.WordDecoder
			if s, err := dec.DecodeHeader(h.Get("Subject")); err != nil || s != subject {
				t.Errorf("Subject %q (%v), want %q", s, err, subject)
			}
			if a, err := netmail.ParseAddress(h.Get("From")); err != nil || a.Address != "delphi@example.org" || a.Name != "Delphi" {
				t.Errorf("From %q (%v)", h.Get("From"), err)
			}
			if a, err := netmail.ParseAddress(h.Get("To")); err != nil || a.Address != "anna.mueller@example.org" {
				t.Errorf("To %q (%v)", h.Get("To"), err)
			}
			if d, err := h.Date(); err != nil || time.Since(d) > time.Minute {
				t.Errorf("Date %q (%v)", h.Get("Date"), err)
			}
			if h.Get("Message-Id") == "" || h.Get("Mime-Version") != "1.0" {
				t.Errorf("Message-ID %q, MIME-Version %q", h.Get("Message-Id"), h.Get("Mime-Version"))
			}
			if len(parts) != len(tt.wantParts) {
				t.Fatalf("%d parts, want %d:\n%s", len(parts), len(tt.wantParts), rc.data)
			}
			for i, p := range parts {
				if p != tt.wantParts[i] {
					t.Errorf("part %d: %q %q, want %q %q", i, p.contentType, p.body, tt.wantParts[i].contentType, tt.wantParts[i].body)
				}
			}
		})
	}
}

// TestSendRefused: what the relay refuses, and what never reaches it, comes back as an error
// (the outbox counts an attempt and tries again later).
func TestSendRefused(t *testing.T) {
	tests := []struct {
		name   string
		opts   relayOpts
		change func(*SMTP, *Message)
		want   string
	}{
		{"recipient refused", relayOpts{refuse: "gone@example.org"}, func(_ *SMTP, msg *Message) { msg.To = "gone@example.org" }, "550"},
		{"wrong password", relayOpts{tls: true, user: "delphi"}, func(m *SMTP, _ *Message) { m.User, m.Password = "delphi", "guess" }, "535"},
		{"no credentials", relayOpts{tls: true, user: "delphi"}, func(*SMTP, *Message) {}, "authenticate"},
		{"untrusted certificate", relayOpts{tls: true}, func(m *SMTP, _ *Message) { m.TLSConfig = nil }, "certificate"},
		{"header injection", relayOpts{}, func(_ *SMTP, msg *Message) { msg.Subject = "hi\r\nBcc: x@example.org" }, "line break"},
		{"bad address", relayOpts{}, func(_ *SMTP, msg *Message) { msg.To = "not an address" }, "recipient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startRelay(t, tt.opts)
			m := r.smtpFor(t)
			msg := Message{To: "anna@example.org", Subject: "Invitation", Text: "Hello"}
			tt.change(&m, &msg)
			err := m.SendMessage(context.Background(), msg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one with %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "guess") {
				t.Errorf("error shows the password: %v", err)
			}
			if n := len(r.messages()); n != 0 {
				t.Errorf("relay received %d messages", n)
			}
		})
	}
}

// silentServer accepts connections and never says a word.
func silentServer(t *testing.T) SMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	return SMTP{Host: host, Port: port, From: "delphi@example.org"}
}

// TestSendTimeouts: a server that accepts the connection but never answers, or stops answering
// in the middle of a message, fails the send within the timeout, or as soon as the context is
// cancelled.
func TestSendTimeouts(t *testing.T) {
	msg := Message{To: "anna@example.org", Subject: "Invitation", Text: "Hello"}
	tests := []struct {
		name    string
		server  func(t *testing.T) (SMTP, <-chan struct{}) // the channel: the send is under way
		timeout time.Duration                              // SendTimeout
		cancel  bool                                       // cancel the context once under way
		want    error
	}{
		{"silent server, send timeout", func(t *testing.T) (SMTP, <-chan struct{}) { return silentServer(t), nil }, 300 * time.Millisecond, false, nil},
		{"silent server, cancelled", func(t *testing.T) (SMTP, <-chan struct{}) { return silentServer(t), nil }, time.Minute, true, context.Canceled},
		{"stalled in DATA, send timeout", func(t *testing.T) (SMTP, <-chan struct{}) {
			r := startRelay(t, relayOpts{stalling: true})
			return r.smtpFor(t), r.inData
		}, 500 * time.Millisecond, false, nil},
		{"stalled in DATA, cancelled", func(t *testing.T) (SMTP, <-chan struct{}) {
			r := startRelay(t, relayOpts{stalling: true})
			return r.smtpFor(t), r.inData
		}, time.Minute, true, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, underway := tt.server(t)
			m.DialTimeout, m.SendTimeout = time.Second, tt.timeout
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				go func() {
					if underway != nil {
						<-underway
					} else {
						time.Sleep(200 * time.Millisecond)
					}
					cancel()
				}()
			}
			start := time.Now()
			err := m.SendMessage(ctx, msg)
			took := time.Since(start)
			if err == nil {
				t.Fatal("send succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			limit := tt.timeout + time.Second
			if tt.cancel {
				limit = 2 * time.Second
			}
			if took > limit {
				t.Errorf("send gave up after %v, want under %v (%v)", took, limit, err)
			}
		})
	}
}

// TestImplicitTLS: port 465 speaks TLS from the first byte (RFC 8314), and AUTH PLAIN goes
// over it. Needs the port free (and the right to bind it): skipped otherwise.
func TestImplicitTLS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:465")
	if err != nil {
		t.Skipf("port 465: %v", err)
	}
	r := &relay{inData: make(chan struct{}, 1)}
	stop := make(chan struct{})
	o := relayOpts{user: "delphi"}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &relaySession{r: r, o: o, tls: isTLS, stop: stop}, nil
	}))
	cert, leaf := selfSigned(t)
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	go srv.Serve(tls.NewListener(ln, srv.TLSConfig))
	defer func() {
		close(stop)
		srv.Close()
	}()
	r.addr, r.cert = ln.Addr().String(), leaf
	m := r.smtpFor(t)
	m.User, m.Password = "delphi", "secret"
	if err := m.Send(context.Background(), "anna@example.org", "Invitation", "Hello"); err != nil {
		t.Fatal(err)
	}
	if got := r.messages(); len(got) != 1 || !got[0].tls || got[0].user != "delphi" {
		t.Fatalf("relay received %+v", got)
	}
}
