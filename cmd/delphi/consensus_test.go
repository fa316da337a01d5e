package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const consensusCSV = `panelist,group,item,round,rating
P01,clinician,I01,1,7
P02,patient,I01,1,
P03,nurse,I01,1,U
P04,regulator,I01,1,0
P01,clinician,I02,1,8
P02,patient,I02,1,9
P03,nurse,I02,1,8
P01,clinician,I01,2,8
P02,patient,I01,2,3
P02,patient,I02,2,3
P01,clinician,I02,2,5
`

func runConsensusCmd(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(string) string { return "" }
	err := run(context.Background(), append([]string{"consensus"}, args...), getenv, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// doc is the part of the output JSON the tests look at.
type doc struct {
	Scale struct {
		Max   int `json:"max"`
		Bands struct {
			Mid [2]int `json:"mid"`
		} `json:"bands"`
	} `json:"scale"`
	Panel struct {
		NPanelists int            `json:"n_panelists"`
		NItems     int            `json:"n_items"`
		Groups     map[string]int `json:"groups"`
	} `json:"panel"`
	Rounds map[string]struct {
		NSubmitted int `json:"n_submitted"`
		Items      map[string]struct {
			NRated  int             `json:"n_rated"`
			NUnable int             `json:"n_unable"`
			Median  *float64        `json:"median"`
			Comet   *string         `json:"comet"`
			RAND    json.RawMessage `json:"rand"`
		} `json:"items"`
		Kendall struct {
			Status string `json:"status"`
		} `json:"kendall"`
	} `json:"rounds"`
	Stability *struct {
		FromRound string `json:"from_round"`
		ToRound   string `json:"to_round"`
		Items     map[string]struct {
			NPairs int `json:"n_pairs"`
		} `json:"items"`
	} `json:"stability"`
}

func decodeDoc(t *testing.T, s string) doc {
	t.Helper()
	var d doc
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, s)
	}
	return d
}

func TestConsensusCommand(t *testing.T) {
	path := writeTemp(t, "ratings.csv", consensusCSV)
	out, errOut, err := runConsensusCmd(t, "", path)
	if err != nil || errOut != "" {
		t.Fatalf("err %v, stderr %q", err, errOut)
	}
	d := decodeDoc(t, out)
	if d.Scale.Max != 9 || d.Panel.NPanelists != 4 || d.Panel.NItems != 2 || d.Panel.Groups["nurse"] != 1 {
		t.Errorf("scale/panel: %+v %+v", d.Scale, d.Panel)
	}
	r1 := d.Rounds["1"]
	if r1.NSubmitted != 4 || r1.Items["I01"].NRated != 1 || r1.Items["I01"].NUnable != 2 ||
		*r1.Items["I02"].Median != 8 || *r1.Items["I02"].Comet != "consensus_in" || string(r1.Items["I02"].RAND) == "null" {
		t.Errorf("round 1: %+v", r1)
	}
	if d.Rounds["2"].NSubmitted != 2 || d.Rounds["2"].Kendall.Status != "ok" {
		t.Errorf("round 2: %+v", d.Rounds["2"])
	}
	if d.Stability == nil || d.Stability.FromRound != "1" || d.Stability.ToRound != "2" || d.Stability.Items["I02"].NPairs != 2 {
		t.Errorf("stability: %+v", d.Stability)
	}

	// The same from stdin, and to a file with -o.
	out2, _, err := runConsensusCmd(t, consensusCSV, "-")
	if err != nil || out2 != out {
		t.Errorf("stdin: err %v, output differs: %v", err, out2 != out)
	}
	outFile := filepath.Join(t.TempDir(), "out.json")
	out3, _, err := runConsensusCmd(t, "", "-o", outFile, path)
	if err != nil || out3 != "" {
		t.Fatalf("-o: err %v, stdout %q", err, out3)
	}
	if b, err := os.ReadFile(outFile); err != nil || string(b) != out {
		t.Errorf("-o file differs (err %v)", err)
	}
}

func TestConsensusScale5(t *testing.T) {
	path := writeTemp(t, "r5.csv", "panelist,group,item,round,rating\nA,g,x,1,5\nB,g,x,1,3\nC,h,x,1,4\n")
	out, _, err := runConsensusCmd(t, "", "--scale-max", "5", path)
	if err != nil {
		t.Fatal(err)
	}
	d := decodeDoc(t, out)
	it := d.Rounds["1"].Items["x"]
	if d.Scale.Max != 5 || d.Scale.Bands.Mid != [2]int{3, 3} || string(it.RAND) != "null" || *it.Median != 4 || d.Stability != nil {
		t.Errorf("scale 5: %+v %+v", d.Scale, it)
	}
	// 6 is outside 1..5.
	_, _, err = runConsensusCmd(t, "", "--scale-max", "5", writeTemp(t, "r.csv", "panelist,group,item,round,rating\nA,g,x,1,6\n"))
	if err == nil || !strings.HasSuffix(err.Error(), `r.csv:2: rating "6" outside 1..5`) {
		t.Errorf("err = %v", err)
	}
}

func TestConsensusBadInput(t *testing.T) {
	tests := []struct {
		name, csv, want string // want has "FILE" for the path
	}{
		{"rating outside", "panelist,group,item,round,rating\nP1,g,I1,1,7\nP2,g,I1,1,3\nP3,g,I1,1,10\n", `FILE:4: rating "10" outside 1..9`},
		{"wrong header", "panelist;group;item;round;rating\n", `FILE:1: header is "panelist;group;item;round;rating", want "panelist,group,item,round,rating"`},
		{"two groups", "panelist,group,item,round,rating\nP1,a,I1,1,7\nP1,b,I2,1,7\n", `FILE:3: panelist "P1" is in group "b" here but in "a" on line 2`},
		{"malformed line", "panelist,group,item,round,rating\nP1,a,I1,1,7\nP1,a\n", `FILE:3: 2 fields, want 5 (panelist,group,item,round,rating)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, "ratings.csv", tt.csv)
			out, _, err := runConsensusCmd(t, "", path)
			want := strings.ReplaceAll(tt.want, "FILE", path)
			if err == nil || err.Error() != want {
				t.Errorf("err = %v\nwant  %s", err, want)
			}
			if out != "" {
				t.Errorf("stdout not empty on bad input: %q", out)
			}
		})
	}
	// -o must not leave a file behind on bad input.
	outFile := filepath.Join(t.TempDir(), "out.json")
	if _, _, err := runConsensusCmd(t, "", "-o", outFile, writeTemp(t, "bad.csv", "x\n")); err == nil {
		t.Error("bad input accepted")
	}
	if _, err := os.Stat(outFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("-o file written on bad input: %v", err)
	}
}

func TestConsensusUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"a.csv", "b.csv"}, {"--scale-max", "2", "a.csv"}, {"--scale-max", "x", "a.csv"}} {
		out, _, err := runConsensusCmd(t, "", args...)
		var u usageError
		if !errors.As(err, &u) || out != "" {
			t.Errorf("%v: err %v (%T), stdout %q; want a usage error", args, err, err, out)
		}
	}
	if _, _, err := runConsensusCmd(t, "", filepath.Join(t.TempDir(), "missing.csv")); err == nil {
		t.Error("missing file accepted")
	}
}
