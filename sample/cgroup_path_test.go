//go:build linux

package sample

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

const (
	testCID  = "4f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
	testUID  = "6b1d7c2e-3f4a-4b5c-8d9e-0f1a2b3c4d5e"
	testUIDu = "6b1d7c2e_3f4a_4b5c_8d9e_0f1a2b3c4d5e"
)

func TestParseCgroupPath(t *testing.T) {
	tests := []struct {
		path string
		want cgroupLabels
	}{
		{"/", cgroupLabels{}},
		{"/system.slice/nginx.service", cgroupLabels{unit: "nginx.service"}},
		{"/system.slice", cgroupLabels{unit: "system.slice"}},
		{"/init.scope", cgroupLabels{unit: "init.scope"}},
		{"/user.slice/user-1000.slice/session-3.scope", cgroupLabels{unit: "session-3.scope"}},
		{"/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-123.scope",
			cgroupLabels{unit: "app-gnome-firefox-123.scope"}},
		{"/system.slice/system-postgresql.slice/postgresql@16-main.service", cgroupLabels{unit: "postgresql@16-main.service"}},
		// docker, systemd and cgroupfs drivers
		{"/system.slice/docker-" + testCID + ".scope",
			cgroupLabels{unit: "docker-" + testCID + ".scope", container: testCID, runtime: "docker"}},
		{"/docker/" + testCID, cgroupLabels{container: testCID, runtime: "docker"}},
		{"/system.slice/docker.service", cgroupLabels{unit: "docker.service"}},
		// Kubernetes, systemd driver
		{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + testUIDu + ".slice/cri-containerd-" + testCID + ".scope",
			cgroupLabels{unit: "cri-containerd-" + testCID + ".scope", container: testCID, runtime: "containerd", pod: testUID}},
		{"/kubepods.slice/kubepods-pod" + testUIDu + ".slice/crio-" + testCID + ".scope",
			cgroupLabels{unit: "crio-" + testCID + ".scope", container: testCID, runtime: "cri-o", pod: testUID}},
		{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + testUIDu + ".slice/crio-conmon-" + testCID + ".scope",
			cgroupLabels{unit: "crio-conmon-" + testCID + ".scope", runtime: "kubepods", pod: testUID}},
		{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + testUIDu + ".slice",
			cgroupLabels{unit: "kubepods-besteffort-pod" + testUIDu + ".slice", runtime: "kubepods", pod: testUID}},
		{"/kubepods.slice/kubepods-burstable.slice", cgroupLabels{unit: "kubepods-burstable.slice"}},
		// Kubernetes, cgroupfs driver
		{"/kubepods/burstable/pod" + testUID + "/" + testCID, cgroupLabels{container: testCID, runtime: "kubepods", pod: testUID}},
		{"/kubepods/pod" + testUID + "/" + testCID, cgroupLabels{container: testCID, runtime: "kubepods", pod: testUID}},
		// podman
		{"/machine.slice/libpod-" + testCID + ".scope",
			cgroupLabels{unit: "libpod-" + testCID + ".scope", container: testCID, runtime: "podman"}},
		{"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + testCID + ".scope/container",
			cgroupLabels{unit: "libpod-" + testCID + ".scope", container: testCID, runtime: "podman"}},
		{"/libpod_parent/libpod-" + testCID, cgroupLabels{container: testCID, runtime: "podman"}},
		// lxc
		{"/lxc/web", cgroupLabels{container: "web", runtime: "lxc"}},
		{"/lxc.payload.web", cgroupLabels{container: "web", runtime: "lxc"}},
		// not containers
		{"/docker/abc", cgroupLabels{}},
		{"/process_api/a9cd2cee65fc300808229b9a0ca7473b", cgroupLabels{}},
		{"/kubepods/burstable/podnot-a-uid/x", cgroupLabels{}},
		{"/system.slice/docker-XYZ.scope", cgroupLabels{unit: "docker-XYZ.scope"}},
	}
	for _, tt := range tests {
		if got := parseCgroupPath(tt.path); got != tt.want {
			t.Errorf("parseCgroupPath(%q) =\n %+v, want\n %+v", tt.path, got, tt.want)
		}
	}
}

func TestParseProcCgroup(t *testing.T) {
	tests := []struct {
		name, in string
		want     procCgroup
		err      string
	}{
		{name: "v2", in: "0::/system.slice/nginx.service\n",
			want: procCgroup{path: "/system.slice/nginx.service", fromV2: true, v2: "/system.slice/nginx.service", hasV2: true,
				labels: cgroupLabels{unit: "nginx.service"}}},
		{name: "v2 root", in: "0::/\n", want: procCgroup{path: "/", fromV2: true, v2: "/", hasV2: true}},
		{name: "hybrid, v2 in a unit", in: "12:memory:/system.slice/ssh.service\n3:cpu,cpuacct:/system.slice/ssh.service\n1:name=systemd:/system.slice/ssh.service\n0::/system.slice/ssh.service\n",
			want: procCgroup{path: "/system.slice/ssh.service", fromV2: true, v2: "/system.slice/ssh.service", hasV2: true,
				memory: "/system.slice/ssh.service", cpuacct: "/system.slice/ssh.service", systemd: "/system.slice/ssh.service",
				labels: cgroupLabels{unit: "ssh.service"}}},
		{name: "hybrid, v2 at the root (this project's test machines)",
			in:   "9:name=systemd:/\n8:pids:/\n7:blkio:/\n4:memory:/almtest\n2:cpuacct:/almtest\n1:cpu:/\n0::/\n",
			want: procCgroup{path: "/almtest", v2: "/", hasV2: true, memory: "/almtest", cpuacct: "/almtest", blkio: "/", pids: "/", systemd: "/"}},
		{name: "v1 with systemd", in: "5:memory:/system.slice\n2:cpu,cpuacct:/system.slice/cron.service\n1:name=systemd:/system.slice/cron.service\n",
			want: procCgroup{path: "/system.slice/cron.service", memory: "/system.slice", cpuacct: "/system.slice/cron.service",
				systemd: "/system.slice/cron.service", labels: cgroupLabels{unit: "cron.service"}}},
		{name: "v1 root", in: "4:memory:/\n", want: procCgroup{path: "/", memory: "/"}},
		{name: "deleted", in: "0::/system.slice/gone.service (deleted)\n",
			want: procCgroup{path: "/system.slice/gone.service", fromV2: true, v2: "/system.slice/gone.service", hasV2: true,
				labels: cgroupLabels{unit: "gone.service"}}},
		{name: "empty", in: "", err: "no cgroup line"},
		{name: "no path", in: "0::\n", err: "line 1"},
		{name: "garbage", in: "hello\n", err: "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcCgroup([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(procCgroup{}, cgroupLabels{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseCgroup checks that no /proc/<pid>/cgroup makes the parsers
// panic, and that what they derive comes from the path, as valid text.
func FuzzParseCgroup(f *testing.F) {
	for _, s := range []string{
		"0::/system.slice/nginx.service\n",
		"9:name=systemd:/\n4:memory:/almtest\n2:cpu,cpuacct:/almtest\n0::/\n",
		"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + testUIDu + ".slice/cri-containerd-" + testCID + ".scope\n",
		"0::/kubepods/burstable/pod" + testUID + "/" + testCID + "\n",
		"0::/lxc.payload.web\n", "0::/docker/" + testCID + "\n", "1:x:\xff/\n", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseProcCgroup(data)
		if err != nil {
			return
		}
		for _, s := range []string{p.path, p.v2, p.memory, p.cpuacct, p.labels.unit, p.labels.container, p.labels.runtime, p.labels.pod} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 %q from %q", s, data)
			}
		}
		if p.path == "" || p.path[0] != '/' {
			t.Fatalf("path %q from %q", p.path, data)
		}
		if l := p.labels; l.unit != "" && !strings.Contains(p.path, l.unit) ||
			l.container != "" && !strings.Contains(p.path, l.container) {
			t.Fatalf("labels %+v not from path %q", l, p.path)
		}
		if l := p.labels; l.container != "" && l.runtime == "" {
			t.Fatalf("container %q without runtime in %q", l.container, p.path)
		}
	})
}
