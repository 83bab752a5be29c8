package archive

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSuperseded(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want []string
	}{
		{"no day file", []string{"cpu/host=a/date=d/part-1.parquet", "cpu/host=a/date=d/part-2.parquet"}, nil},
		{"day covers older parts only", []string{
			"cpu/host=a/date=d/part-1.parquet", "cpu/host=a/date=d/part-5.parquet",
			"cpu/host=a/date=d/day-5.parquet", "cpu/host=a/date=d/part-6.parquet",
		}, []string{"cpu/host=a/date=d/part-1.parquet", "cpu/host=a/date=d/part-5.parquet"}},
		{"other folders untouched", []string{
			"cpu/host=a/date=d/day-5.parquet", "cpu/host=b/date=d/part-1.parquet", "disk/host=a/date=d/part-2.parquet",
		}, nil},
		{"an older day file is replaced", []string{"cpu/host=a/date=d/day-3.parquet", "cpu/host=a/date=d/day-5.parquet"}, []string{"cpu/host=a/date=d/day-3.parquet"}},
		{"junk ignored", []string{"cpu/host=a/date=d/day-5.parquet", "cpu/host=a/date=d/part-1.parquet.tmp", "x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Superseded(tt.keys)); diff != "" {
				t.Errorf("Superseded (-want +got):\n%s", diff)
			}
		})
	}
}
