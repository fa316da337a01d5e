package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

const adminPassword = "load-test-password-1234"

// server is a delphi process started by the tool.
type server struct {
	cmd  *exec.Cmd
	url  string
	prof string // base URL of the Go profiles ("" when not asked for)
	db   string
	done chan error
}

// startServer execs `delphi serve` on 127.0.0.1 (a free port) over db, logging to log; with
// profile, the server serves its Go profiles on another free port.
func startServer(ctx context.Context, bin, db, log string, profile bool) (*server, error) {
	lf, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "-addr", "127.0.0.1:0", "-db", db, "-first-survey", "none"}
	if profile {
		args = append(args, "-pprof", "127.0.0.1:0")
	}
	cmd := exec.Command(abs, args...)
	cmd.Env = append(os.Environ(), "DELPHI_ADMIN_PASSWORD="+adminPassword, "DELPHI_ADMIN_EMAIL=admin@localhost")
	cmd.Stderr = lf
	out, err := cmd.StdoutPipe()
	if err != nil {
		lf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	s := &server{cmd: cmd, db: db, done: make(chan error, 1)}
	addr := make(chan string, 1)
	prof := make(chan string, 1)
	go func() {
		listen := regexp.MustCompile(`listening on (\S+)`)
		profiles := regexp.MustCompile(`profiles: (http://\S+)/debug/pprof/`)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := profiles.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case prof <- m[1]:
				default:
				}
			}
			if m := listen.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { s.done <- cmd.Wait(); lf.Close() }()
	select {
	case a := <-addr:
		s.url = "http://" + a
		if profile {
			select {
			case s.prof = <-prof:
			case <-time.After(30 * time.Second):
				s.kill()
				return nil, fmt.Errorf("server did not say where its profiles are (see %s)", log)
			}
		}
	case err := <-s.done:
		return nil, fmt.Errorf("server exited at start: %v (see %s)", err, log)
	case <-time.After(30 * time.Second):
		s.kill()
		return nil, fmt.Errorf("server did not start within 30s (see %s)", log)
	case <-ctx.Done():
		s.kill()
		return nil, ctx.Err()
	}
	return s, nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// kill ends the server with SIGKILL: what was acknowledged must already be on disk.
func (s *server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// stop ends the server gracefully.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-s.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("server: %v", err)
		}
		return err
	case <-time.After(20 * time.Second):
		s.kill()
		return errors.New("server did not stop within 20s")
	}
}

// procStat is a process's CPU time and memory at one moment.
type procStat struct {
	at       time.Time
	cpu      time.Duration // user + system
	rss, hwm int64         // bytes
}

const clockTick = 10 * time.Millisecond // 1/USER_HZ (100 on Linux)

// readProc reads /proc/<pid>/stat and status (pid 0: this process).
func readProc(pid int) procStat {
	p := "self"
	if pid > 0 {
		p = strconv.Itoa(pid)
	}
	ps := procStat{at: time.Now()}
	if b, err := os.ReadFile("/proc/" + p + "/stat"); err == nil {
		// fields after the parenthesised command: state is field 3; utime 14, stime 15
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 {
			f := strings.Fields(s[i+1:])
			if len(f) > 13 {
				u, _ := strconv.ParseInt(f[11], 10, 64)
				k, _ := strconv.ParseInt(f[12], 10, 64)
				ps.cpu = time.Duration(u+k) * clockTick
			}
		}
	}
	if b, err := os.ReadFile("/proc/" + p + "/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			f := strings.Fields(v)
			if len(f) == 0 {
				continue
			}
			n, _ := strconv.ParseInt(f[0], 10, 64)
			switch k {
			case "VmRSS":
				ps.rss = n << 10
			case "VmHWM":
				ps.hwm = n << 10
			}
		}
	}
	return ps
}

// usage is CPU used between two readings, in cores.
func usage(a, b procStat) float64 {
	w := b.at.Sub(a.at)
	if w <= 0 {
		return 0
	}
	return float64(b.cpu-a.cpu) / float64(w)
}

// rssSampler records a process's peak resident set while it runs.
type rssSampler struct {
	mu   sync.Mutex
	peak int64
	stop chan struct{}
	done chan struct{}
}

func sampleRSS(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			ps := readProc(pid)
			s.mu.Lock()
			s.peak = max(s.peak, ps.rss)
			s.mu.Unlock()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) end() int64 {
	close(s.stop)
	<-s.done
	return s.peak
}

func machine() string {
	model := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d cores (%s), %s/%s, %s", runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}
