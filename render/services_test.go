package render

import (
	"testing"
	"time"
)

func TestServiceName(t *testing.T) {
	const id = "4f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
	for _, tt := range []struct{ cgroup, unit, container, want string }{
		{"/system.slice/nginx.service", "nginx.service", "", "nginx.service"},
		{"/system.slice/docker-" + id + ".scope", "docker-" + id + ".scope", id, "container 4f1b2c3d4e5f"},
		{"/lxc/web", "", "web", "container web"},
		{"/process_api/abc", "", "", "/process_api/abc"},
		{"/", "", "", ""},
	} {
		if got := serviceName(tt.cgroup, tt.unit, tt.container); got != tt.want {
			t.Errorf("serviceName(%q, %q, %q) = %q, want %q", tt.cgroup, tt.unit, tt.container, got, tt.want)
		}
	}
}

func TestNameOOMs(t *testing.T) {
	base := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC).UnixMicro()
	hour := time.Hour.Microseconds()
	ooms := []int64{base, base + 2*hour}
	o := lineOpts{From: base - hour, To: base + 3*hour, OOMs: ooms, Reboots: []int64{base + hour}}
	marks := timeMarks(o)
	victims := []oomVictim{
		{t: base, pid: 1, comm: "java", service: "container 4f1b2c3d4e5f"},
		{t: base + 10*60e6, pid: 2, comm: "node", service: "web.service"}, // in the first mark's hour bucket
		{t: base + 2*hour, comm: "", how: "unseen"},
		{t: base - 2*hour, pid: 3, comm: "early"}, // before every mark: not named
	}
	nameOOMs(marks, ooms, victims)
	var got []string
	for _, m := range marks {
		got = append(got, m.(timeMark).Name)
	}
	want := []string{"reboot", "OOM kill: java (container 4f1b2c3d4e5f) +1", "OOM kill: unseen victim"}
	if len(got) != len(want) {
		t.Fatalf("marks %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("mark %d = %q, want %q", i, got[i], want[i])
		}
	}
}
