package blob_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian/blob"
)

// crashDirEnv tells a re-executed test binary to act as the crashing writer
// of TestCrashDuringPut, storing into the folder it names.
const crashDirEnv = "BEIAN_BLOB_CRASH_DIR"

// TestHelperProcess is the child of TestCrashDuringPut: it Puts random blobs
// from several goroutines until killed, printing "ACK <sha256> <size>" for
// each Put that returned. It does nothing in a normal test run.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		return
	}
	s, err := blob.Open(dir, 4<<20)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	deadline := time.Now().Add(20 * time.Second) // in case the parent dies first
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			var seed [32]byte
			binary.LittleEndian.PutUint64(seed[:], uint64(os.Getpid()))
			seed[8] = byte(g)
			src := rand.NewChaCha8(seed)
			rng := rand.New(src)
			for time.Now().Before(deadline) {
				content := make([]byte, rng.IntN(256<<10))
				_, _ = src.Read(content)
				if rng.IntN(8) == 0 {
					content = []byte("a document every writer stores") // the same-content path
				}
				ref, err := s.Put(context.Background(), bytes.NewReader(content))
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ACK %s %d\n", ref.SHA256, ref.Size)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	os.Exit(0)
}

// TestCrashDuringPut kills a writing child process with SIGKILL at random
// points, several times over the same folder. Afterwards every blob verifies
// (no half-written file is ever visible under its final name) and every Put
// the child acknowledged is present. SIGKILL loses no page cache, so this
// proves the write protocol, not the fsyncs.
func TestCrashDuringPut(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL semantics")
	}
	dir := filepath.Join(t.TempDir(), "blobs")
	acked := map[string]int64{}
	const rounds = 6
	for round := range rounds {
		for _, ref := range runAndKill(t, dir, time.Duration(rand.IntN(150))*time.Millisecond) {
			acked[ref.SHA256] = ref.Size
		}
		t.Logf("round %d: %d acknowledged blobs so far", round, len(acked))
	}
	if len(acked) == 0 {
		t.Fatal("the child acknowledged no Put; the crash test proved nothing")
	}

	s, err := blob.Open(dir, 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	temps := 0
	for _, f := range files(t, dir) {
		parts := strings.Split(filepath.ToSlash(f), "/")
		switch {
		case len(parts) == 2 && parts[0] == "tmp" && strings.HasPrefix(parts[1], "put-"):
			temps++ // an interrupted Put; Open removes it once an hour old
		case len(parts) == 3 && blob.ValidHash(parts[2]) && parts[0] == parts[2][0:2] && parts[1] == parts[2][2:4]:
		default:
			t.Errorf("unexpected file %s", f)
		}
	}
	stored := map[string]int64{}
	err = s.Walk(func(r blob.Ref) error {
		stored[r.SHA256] = r.Size
		if err := s.Verify(r.SHA256); err != nil {
			t.Errorf("after a crash: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for sum, size := range acked {
		if got, ok := stored[sum]; !ok || got != size {
			t.Errorf("acknowledged blob %s (%d bytes): stored %v, size %d", sum, size, ok, got)
		}
	}
	t.Logf("%d kills: %d acknowledged, %d stored, %d interrupted temp files", rounds, len(acked), len(stored), temps)
}

// runAndKill starts the writer child on dir, kills it d after its first
// acknowledged Put and returns the Refs of the lines it completed before
// dying.
func runAndKill(t *testing.T, dir string, d time.Duration) []blob.Ref {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var refs []blob.Ref
	done := make(chan struct{})
	first := make(chan struct{})
	go func() {
		defer close(done)
		br := bufio.NewReader(out)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return // a line cut by the kill was never acknowledged
			}
			f := strings.Fields(line)
			if len(f) != 3 || f[0] != "ACK" {
				continue
			}
			size, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil {
				continue
			}
			refs = append(refs, blob.Ref{SHA256: f[1], Size: size})
			if len(refs) == 1 {
				close(first)
			}
		}
	}()
	select {
	case <-first:
	case <-time.After(15 * time.Second):
		t.Error("the child acknowledged no Put in 15 s")
	}
	time.Sleep(d)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-done
	_ = cmd.Wait()
	if stderr.Len() > 0 {
		t.Fatalf("child: %s", stderr.String())
	}
	return refs
}
