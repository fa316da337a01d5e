// Package mail sends email through an SMTP server (DELPHI_SMTP_*), with go-mail.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Default timeouts: a relay that does not answer must not hold the mail loop (and with it the
// closing of rounds at their deadline) for long.
const (
	DefaultDialTimeout = 10 * time.Second
	DefaultSendTimeout = 60 * time.Second
)

// SMTP is an SMTP relay. Host empty means "not configured".
//
// Port 465 is implicit TLS (RFC 8314); on any other port STARTTLS is used when the server
// offers it, and required when credentials are set and the server is not on this machine, so
// that a password never crosses the network in clear. With credentials the strongest
// mechanism both sides know is used (SCRAM, CRAM-MD5, PLAIN, LOGIN; PLAIN and LOGIN only over
// TLS).
type SMTP struct {
	Host     string
	Port     string
	User     string
	Password string
	From     string

	// DialTimeout bounds connecting: TCP, and the TLS handshake on port 465 (0: DefaultDialTimeout).
	DialTimeout time.Duration
	// SendTimeout bounds one message's whole conversation once connected, from the server's
	// greeting to QUIT (0: DefaultSendTimeout).
	SendTimeout time.Duration
	// TLSConfig checks the server's certificate (nil: the system's roots for Host). Tests give
	// their own roots.
	TLSConfig *tls.Config
}

// Message is one email. With HTML set it goes as multipart/alternative, the text first.
type Message struct {
	To, Subject string
	Text, HTML  string
}

// Send delivers one plain-text message (the outbox's Sender).
func (m SMTP) Send(ctx context.Context, to, subject, body string) error {
	return m.SendMessage(ctx, Message{To: to, Subject: subject, Text: body})
}

// SendMessage delivers one message on a connection of its own. It returns once the server has
// accepted the message or the attempt failed; a cancelled ctx stops it at once, whatever step
// it is at. Header values are checked for line breaks (header injection).
func (m SMTP) SendMessage(ctx context.Context, msg Message) error {
	for _, v := range []string{msg.To, msg.Subject, m.From} {
		if strings.ContainsAny(v, "\r\n") {
			return errors.New("mail: line break in a header value")
		}
	}
	gm, err := m.build(msg)
	if err != nil {
		return err
	}
	client, done, err := m.client(ctx)
	if err != nil {
		return err
	}
	defer done()
	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return m.fail(ctx, msg.To, "connect", err)
	}
	if err := client.SendWithSMTPClient(sc, gm); err != nil {
		_ = sc.Close()
		return m.fail(ctx, msg.To, "send", err)
	}
	// The server has the message (250 after DATA): a failed QUIT must not make the outbox
	// send it again.
	_ = client.CloseWithSMTPClient(sc)
	return nil
}

func (m SMTP) fail(ctx context.Context, to, step string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("mail: %s to %s: %w (%v)", step, to, cerr, err)
	}
	return fmt.Errorf("mail: %s to %s: %w", step, to, err)
}

// build composes the message: dated, with a Message-ID, the subject encoded as needed.
func (m SMTP) build(msg Message) (*gomail.Msg, error) {
	gm := gomail.NewMsg()
	if err := gm.From(m.From); err != nil {
		return nil, fmt.Errorf("mail: sender %q: %w", m.From, err)
	}
	if err := gm.To(msg.To); err != nil {
		return nil, fmt.Errorf("mail: recipient %q: %w", msg.To, err)
	}
	gm.Subject(msg.Subject)
	gm.SetDate()
	gm.SetMessageID()
	gm.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		gm.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	return gm, nil
}

// client returns a go-mail client for one send. Its connections are dialled here, so that ctx
// and SendTimeout hold for the whole conversation (go-mail watches ctx only while dialling and
// extends the connection's deadline at each step); done releases what watches ctx.
func (m SMTP) client(ctx context.Context) (*gomail.Client, func(), error) {
	dialTimeout, sendTimeout := m.DialTimeout, m.SendTimeout
	if dialTimeout <= 0 {
		dialTimeout = DefaultDialTimeout
	}
	if sendTimeout <= 0 {
		sendTimeout = DefaultSendTimeout
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.TLSConfig != nil {
		tlsConf = m.TLSConfig.Clone()
	}
	if tlsConf.ServerName == "" {
		tlsConf.ServerName = m.Host
	}
	implicitTLS := m.Port == "465"
	var (
		mu    sync.Mutex
		stops []func() bool
	)
	dial := func(dctx context.Context, network, _ string) (net.Conn, error) {
		d := net.Dialer{Timeout: dialTimeout}
		raw, err := d.DialContext(dctx, network, net.JoinHostPort(m.Host, m.Port))
		if err != nil {
			return nil, err
		}
		c := &guardedConn{Conn: raw, limit: time.Now().Add(sendTimeout)}
		if err := c.SetDeadline(c.limit); err != nil {
			_ = raw.Close()
			return nil, err
		}
		mu.Lock()
		stops = append(stops, context.AfterFunc(ctx, c.abort))
		mu.Unlock()
		if !implicitTLS {
			return c, nil
		}
		tc := tls.Client(c, tlsConf)
		hctx, cancel := context.WithTimeout(dctx, dialTimeout)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			_ = raw.Close()
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		return tc, nil
	}
	// Opportunistic also on port 465: go-mail then sees the *tls.Conn and counts the
	// connection as encrypted, which lets PLAIN and LOGIN through.
	policy := gomail.TLSOpportunistic
	if m.User != "" && !implicitTLS && !loopback(m.Host) {
		policy = gomail.TLSMandatory
	}
	opts := []gomail.Option{
		gomail.WithDialContextFunc(dial),
		gomail.WithTimeout(sendTimeout),
		gomail.WithTLSPolicy(policy),
		gomail.WithTLSConfig(tlsConf),
	}
	if m.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(m.User), gomail.WithPassword(m.Password))
	}
	client, err := gomail.NewClient(m.Host, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("mail: client for %s: %w", m.Host, err)
	}
	done := func() {
		mu.Lock()
		defer mu.Unlock()
		for _, stop := range stops {
			stop()
		}
	}
	return client, done, nil
}

// loopback reports whether host is this machine (where credentials may go without TLS, as
// net/smtp has always allowed).
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// guardedConn is a connection whose deadline never passes limit (the send's timeout) and which
// abort stops for good (a cancelled context): go-mail moves the deadline forward at each step
// and would otherwise undo both.
type guardedConn struct {
	net.Conn
	limit time.Time

	mu      sync.Mutex
	aborted bool
}

func (c *guardedConn) abort() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.aborted = true
	_ = c.Conn.SetDeadline(time.Unix(1, 0)) // long past: blocked I/O returns at once
}

func (c *guardedConn) bound(t time.Time) time.Time {
	if c.aborted {
		return time.Unix(1, 0)
	}
	if t.IsZero() || t.After(c.limit) {
		return c.limit
	}
	return t
}

func (c *guardedConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.SetDeadline(c.bound(t))
}

func (c *guardedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.SetReadDeadline(c.bound(t))
}

func (c *guardedConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.SetWriteDeadline(c.bound(t))
}
