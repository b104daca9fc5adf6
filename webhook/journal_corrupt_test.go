package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// journalFile writes a journal holding jobs queued jobs (and as many
// remembered deliveries), over several pages when there are many, and
// returns its bytes.
func journalFile(t testing.TB, jobs int) []byte {
	t.Helper()
	dir := t.TempDir()
	j, err := OpenJournal(filepath.Join(dir, "journal.db"), JournalOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range jobs {
		if err := j.Enqueue(t.Context(), job(fmt.Sprintf("delivery-%04d-%s", i, strings.Repeat("x", 40)), i%40+1, fmt.Sprintf("%040x", i), i)); err != nil {
			t.Fatal(err)
		}
	}
	// A job that has run once: its record is rewritten.
	if rec, _, _, _ := j.claim(); rec == nil {
		t.Fatal("no job to claim")
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestJournalSurvivesCorruption is issue 14's tenth defect: bbolt panics
// on some corrupted pages, and a panic at start-up is a crash loop. Every
// page of a journal is overwritten in turn (whole, or a run of bytes, with
// random bytes); the journal must open each time, moving the file aside
// with an error in the log when it cannot be read, and then work.
func TestJournalSurvivesCorruption(t *testing.T) {
	clean := journalFile(t, 120)
	const pageSize = 4096 // bbolt's page is the OS page; 4 KiB here
	if len(clean)%pageSize != 0 || len(clean)/pageSize < 6 {
		t.Fatalf("journal of %d bytes: want several %d-byte pages", len(clean), pageSize)
	}
	movedAside := 0
	for page := range len(clean) / pageSize {
		for _, whole := range []bool{true, false} {
			name := fmt.Sprintf("page %d", page)
			if !whole {
				name += " partly"
			}
			t.Run(name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(page), 14))
				b := bytes.Clone(clean)
				off, n := page*pageSize, pageSize
				if !whole {
					off += 16 + rng.IntN(pageSize-80) // past the page header
					n = 64
				}
				for i := off; i < off+n; i++ {
					b[i] = byte(rng.Uint32())
				}
				dir := t.TempDir()
				path := filepath.Join(dir, "journal.db")
				if err := os.WriteFile(path, b, 0o600); err != nil {
					t.Fatal(err)
				}
				var logs syncBuffer
				j, err := OpenJournal(path, JournalOptions{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), noSync: true})
				if err != nil {
					t.Fatalf("OpenJournal: %v", err)
				}
				defer j.Close()
				aside, _ := filepath.Glob(path + ".corrupt-*")
				corrupted := strings.Contains(logs.String(), "JOURNAL CORRUPTED")
				if corrupted != (len(aside) == 1) {
					t.Errorf("logged corruption %v, files moved aside %v: want both or neither\n%s", corrupted, aside, logs.String())
				}
				if corrupted {
					movedAside++
					if got, err := os.ReadFile(aside[0]); err != nil || !bytes.Equal(got, b) {
						t.Errorf("the file moved aside is not the corrupted journal (%v)", err)
					}
				}
				// The journal works: a new delivery is accepted and runs.
				if err := j.Enqueue(t.Context(), job("fresh", 99, "fff", 1)); err != nil {
					t.Fatalf("Enqueue after opening: %v", err)
				}
				r := newRecorder(nil)
				stop := run(t, j, r)
				for jb := range r.ran {
					if jb.DeliveryID == "fresh" {
						break
					}
				}
				stop()
			})
		}
	}
	if movedAside == 0 {
		t.Error("no corruption was detected: the test corrupts nothing bbolt reads")
	}
	t.Logf("%d of %d corruptions moved the journal aside", movedAside, 2*len(clean)/pageSize)
}

// FuzzDecodeRecord: no entry of the jobs bucket makes the decoding panic,
// and what it accepts is a job the journal can run and write back as read.
func FuzzDecodeRecord(f *testing.F) {
	good, err := json.Marshal(&record{Job: job("d1", 12, "aaa", 1), Attempts: 2, LastError: "github said 502"})
	if err != nil {
		f.Fatal(err)
	}
	key := seqKey(7)
	f.Add(key, good)
	f.Add(key, []byte(`{"job":{"delivery_id":"d","owner":"o","repo":"r","number":1},"attempts":-1}`))
	f.Add(key, []byte(`{"job":null}`))
	f.Add([]byte{1, 2, 3}, good)
	f.Add(key, []byte(`{"job":{"delivery_id":"d","owner":"o","repo":"r","number":1,"updated":"2026-13-01T00:00:00Z"}}`))
	f.Fuzz(func(t *testing.T, k, v []byte) {
		rec, err := decodeRecord(k, v)
		if err != nil {
			return
		}
		if rec.Job.PRKey() == "" || rec.Job.DeliveryID == "" || rec.Attempts < 0 {
			t.Fatalf("accepted %+v", rec)
		}
		again, err := json.Marshal(rec)
		if err != nil {
			t.Fatalf("accepted a record it cannot write back: %v", err)
		}
		back, err := decodeRecord(k, again)
		if err != nil {
			t.Fatalf("the record written back does not decode: %v\n%s", err, again)
		}
		if !reflect.DeepEqual(normalize(back), normalize(rec)) {
			t.Fatalf("round trip changed the record:\n%+v\n%+v", rec, back)
		}
	})
}

// normalize drops what JSON does not keep of a time: its location and
// monotonic reading.
func normalize(r *record) record {
	c := *r
	for _, tp := range []*time.Time{&c.Job.Received, &c.Job.Updated, &c.NotBefore} {
		*tp = tp.UTC().Round(0)
	}
	return c
}

// FuzzOpenJournal: whatever the journal file holds, OpenJournal neither
// panics nor fails; it opens the file or moves it aside, and the journal
// then takes a job. The seed is a real journal; the fuzzer corrupts it.
func FuzzOpenJournal(f *testing.F) {
	clean := journalFile(f, 120)
	f.Add(clean)
	f.Add(clean[:len(clean)/2])
	f.Add(journalFile(f, 3))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "journal.db")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		j, err := OpenJournal(path, JournalOptions{Logger: quietLogger(), noSync: true})
		if err != nil {
			t.Fatalf("OpenJournal: %v", err)
		}
		defer j.Close()
		if err := j.Enqueue(t.Context(), job("fresh", 99, "fff", 1)); err != nil && !errors.Is(err, ErrDuplicate) {
			t.Fatalf("Enqueue: %v", err)
		}
	})
}
