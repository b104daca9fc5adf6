package djangotest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// driver is one long-lived driver.py process: requests go to its stdin, one
// JSON line each, and results come back on its stdout, one JSON line each,
// tagged with the request's id, in the order the runs end.
type driver struct {
	vendor string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr tail // the driver's own stderr (a run's is in its result)

	wmu sync.Mutex // one request line at a time

	mu      sync.Mutex
	pending map[int64]chan json.RawMessage
	exitErr error         // why the process ended
	done    chan struct{} // closed when it has
}

func startDriver(path, vendor, dir string) (*driver, error) {
	d := &driver{vendor: vendor, pending: map[int64]chan json.RawMessage{}, done: make(chan struct{})}
	d.cmd = exec.Command(Python, "-I", "-B", path)
	d.cmd.Dir = dir
	d.cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	d.cmd.Stderr = &d.stderr
	var err error
	if d.stdin, err = d.cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("start driver for %s: %w", vendor, err)
	}
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start driver for %s: %w", vendor, err)
	}
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start driver for %s: %w", vendor, err)
	}
	go d.read(stdout)
	return d, nil
}

// read hands each result line to the run waiting for it, until the process
// ends.
func (d *driver) read(stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	var lineErr error
	for sc.Scan() {
		var line struct {
			ID     int64           `json:"id"`
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			lineErr = fmt.Errorf("not a result line (%w): %.500s", err, sc.Bytes())
			break
		}
		d.mu.Lock()
		ch := d.pending[line.ID]
		delete(d.pending, line.ID)
		d.mu.Unlock()
		if ch != nil {
			ch <- line.Result
		}
	}
	if lineErr == nil {
		lineErr = sc.Err()
	}
	if lineErr != nil {
		_ = d.cmd.Process.Kill()
		_, _ = io.Copy(io.Discard, stdout)
	}
	exitErr := fmt.Errorf("the driver for %s ended", d.vendor)
	if err := errors.Join(lineErr, d.cmd.Wait()); err != nil {
		exitErr = fmt.Errorf("the driver for %s ended: %w", d.vendor, err)
	}
	d.mu.Lock()
	d.exitErr = exitErr
	d.mu.Unlock()
	close(d.done)
}

// run sends one request and waits for its result.
func (d *driver) run(ctx context.Context, req map[string]any) (*DBReport, error) {
	id, _ := req["id"].(int64)
	line, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	ch := make(chan json.RawMessage, 1)
	d.mu.Lock()
	if d.exitErr != nil {
		err := d.exitErr
		d.mu.Unlock()
		return nil, fmt.Errorf("%w\nits stderr: %s", err, d.stderr.String())
	}
	d.pending[id] = ch
	d.mu.Unlock()
	if err := d.send(line); err != nil {
		d.forget(id)
		return nil, fmt.Errorf("%s: send: %w", d.vendor, err)
	}
	select {
	case res := <-ch:
		rep := &DBReport{}
		if err := json.Unmarshal(res, rep); err != nil {
			return nil, fmt.Errorf("%s: %w: %.500s", d.vendor, err, res)
		}
		return rep, nil
	case <-d.done:
		d.mu.Lock()
		err := d.exitErr
		d.mu.Unlock()
		return nil, fmt.Errorf("%w\nits stderr: %s", err, d.stderr.String())
	case <-ctx.Done():
		d.forget(id)
		cancel, _ := json.Marshal(map[string]any{"cancel": id})
		_ = d.send(cancel)
		return nil, fmt.Errorf("%s: %w", d.vendor, ctx.Err())
	}
}

func (d *driver) send(line []byte) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	_, err := d.stdin.Write(append(line, '\n'))
	return err
}

func (d *driver) forget(id int64) {
	d.mu.Lock()
	delete(d.pending, id)
	d.mu.Unlock()
}

// close ends stdin: the driver waits for the runs under way and exits. One
// that has not after a minute is killed.
func (d *driver) close() error {
	d.wmu.Lock()
	err := d.stdin.Close()
	d.wmu.Unlock()
	select {
	case <-d.done:
	case <-time.After(time.Minute):
		_ = d.cmd.Process.Kill()
		<-d.done
		err = errors.Join(err, fmt.Errorf("the driver for %s did not exit within a minute of the end of its input: killed", d.vendor))
	}
	if err != nil {
		return fmt.Errorf("close driver: %w", err)
	}
	return nil
}

// tail keeps the last 64 KiB written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if n := len(t.buf) - 64<<10; n > 0 {
		t.buf = t.buf[n:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
