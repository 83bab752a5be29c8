package testfs

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"testing"
)

// StartChild starts this test binary as a child process in mode (see
// ChildMain), moves it into cg and lets it start; in mode burn it returns
// once the child holds its memory. done receives the child's exit. The
// child is killed when the test ends, if it still runs.
func (cg *Cgroup) StartChild(t testing.TB, mode string) (cmd *exec.Cmd, done chan error) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), ChildEnv+"="+mode)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done = make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	if err := cg.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(in, "go\n"); err != nil {
		t.Fatal(err)
	}
	if mode == "burn" { // wait until it holds its memory
		line, err := bufio.NewReader(out).ReadString('\n')
		if line != "ready\n" {
			t.Fatalf("the child said %q (%v), want ready", line, err)
		}
	}
	return cmd, done
}
