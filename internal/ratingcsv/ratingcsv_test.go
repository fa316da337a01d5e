package ratingcsv

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cart-cd/delphi/internal/consensus"
)

func TestParse(t *testing.T) {
	in := "\uFEFFpanelist,group,item,round,rating\r\n" +
		"P02,patient,I02,1,9\r\n" +
		"P01,clinician,I01,1,7\r\n" +
		"P02,patient,I01,1,\r\n" +
		"P03,nurse,I01,1,U\r\n" +
		"P04,regulator,I01,1,0\r\n" +
		"\"P01\",clinician,I02,2,3\r\n" +
		"P04,regulator,I01,10,5\r\n"
	rounds, err := Parse("r.csv", strings.NewReader(in), 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(rounds) != 3 || rounds[0].Number != 1 || rounds[1].Number != 2 || rounds[2].Number != 10 {
		t.Fatalf("rounds %v", rounds)
	}
	r1 := rounds[0]
	if !slices.Equal(r1.Panelists, []string{"P01", "P02", "P03", "P04"}) || !slices.Equal(r1.Items, []string{"I01", "I02"}) ||
		!slices.Equal(r1.Groups, []string{"clinician", "nurse", "patient", "regulator"}) || !slices.Equal(r1.Group, []int{0, 2, 1, 3}) {
		t.Errorf("panel %v %v %v %v", r1.Panelists, r1.Items, r1.Groups, r1.Group)
	}
	M, U := consensus.Missing, consensus.Unable
	if want := []int8{7, M, M, 9, U, M, U, M}; !slices.Equal(r1.Ratings, want) {
		t.Errorf("round 1 ratings %v, want %v", r1.Ratings, want)
	}
	if !slices.Equal(r1.Submitted, []bool{true, true, true, true}) {
		t.Errorf("round 1 submitted %v", r1.Submitted)
	}
	// Round 2: only P01 submitted; their I01 has no row: missing.
	if r2 := rounds[1]; !slices.Equal(r2.Submitted, []bool{true, false, false, false}) || r2.Ratings[0] != M || r2.Ratings[1] != 3 {
		t.Errorf("round 2 %v %v", r2.Submitted, r2.Ratings)
	}
	for _, rd := range rounds {
		if err := rd.Validate(consensus.ThirdsScale(9)); err != nil {
			t.Error(err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	const h = Header + "\n"
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"empty file", "", 9, `r.csv:1: empty file, want the header panelist,group,item,round,rating`},
		{"wrong header", "panelist,group,item,round,score\n", 9, `r.csv:1: header is "panelist,group,item,round,score", want "panelist,group,item,round,rating"`},
		{"header only four columns", "panelist,group,item,round\n", 9, `r.csv:1: header is "panelist,group,item,round", want "panelist,group,item,round,rating"`},
		{"rating above scale", h + "P1,g,I1,1,7\nP1,g,I2,1,10\n", 9, `r.csv:3: rating "10" outside 1..9`},
		{"rating above scale 5", h + "P1,g,I1,1,6\n", 5, `r.csv:2: rating "6" outside 1..5`},
		{"negative rating", h + "P1,g,I1,1,-1\n", 9, `r.csv:2: rating "-1" outside 1..9`},
		{"huge rating", h + "P1,g,I1,1,99999999999999999999\n", 9, `r.csv:2: rating "99999999999999999999" outside 1..9`},
		{"not a rating", h + "P1,g,I1,1,x\n", 9, `r.csv:2: rating "x" is not an integer, U or blank`},
		{"lower-case u", h + "P1,g,I1,1,u\n", 9, `r.csv:2: rating "u" is not an integer, U or blank`},
		{"decimal", h + "P1,g,I1,1,7.5\n", 9, `r.csv:2: rating "7.5" is not an integer, U or blank`},
		{"space", h + "P1,g,I1,1, 7\n", 9, `r.csv:2: rating " 7" is not an integer, U or blank`},
		{"two groups", h + "P1,nurse,I1,1,7\nP2,nurse,I1,1,7\nP1,doctor,I2,1,5\n", 9,
			`r.csv:4: panelist "P1" is in group "doctor" here but in "nurse" on line 2`},
		{"too few fields", h + "P1,g,I1,1\n", 9, `r.csv:2: 4 fields, want 5 (panelist,group,item,round,rating)`},
		{"too many fields", h + "P1,g,I1,1,7,x\n", 9, `r.csv:2: 6 fields, want 5 (panelist,group,item,round,rating)`},
		{"bare quote", h + "P1,g,I\"1,1,7\n", 9, `r.csv:2: bare " in non-quoted-field`},
		{"round zero", h + "P1,g,I1,0,7\n", 9, `r.csv:2: round "0" is not a positive integer`},
		{"round text", h + "P1,g,I1,one,7\n", 9, `r.csv:2: round "one" is not a positive integer`},
		{"empty panelist", h + ",g,I1,1,7\n", 9, `r.csv:2: empty panelist`},
		{"empty item", h + "P1,g,,1,7\n", 9, `r.csv:2: empty item`},
		{"duplicate answer", h + "P1,g,I1,1,7\nP2,g,I1,1,7\nP1,g,I1,1,\n", 9,
			`r.csv:4: panelist "P1" answered item "I1" in round 1 already on line 2`},
		{"line numbers count blank lines", h + "\nP1,g,I1,1,7\n\nP1,g,I2,1,10\n", 9, `r.csv:5: rating "10" outside 1..9`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("r.csv", strings.NewReader(tt.in), tt.max)
			if err == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.File != "r.csv" {
				t.Errorf("error %T is not a *ratingcsv.Error", err)
			}
		})
	}
	if _, err := Parse("r.csv", strings.NewReader(Header), 2); err == nil {
		t.Error("scale max 2 accepted")
	}
}

// Rows in any order give the same rounds.
func TestParseRowOrder(t *testing.T) {
	rows := []string{"P1,a,I1,1,7", "P1,a,I2,1,U", "P2,b,I1,1,3", "P2,b,I2,1,", "P3,a,I2,2,9", "P1,a,I1,2,8", "P2,b,I3,2,0"}
	want, err := Parse("r.csv", strings.NewReader(Header+"\n"+strings.Join(rows, "\n")), 9)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 20; i++ {
		rng.Shuffle(len(rows), func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
		got, err := Parse("r.csv", strings.NewReader(Header+"\n"+strings.Join(rows, "\n")+"\n"), 9)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("order %v gives a different result", rows)
		}
	}
}

// FuzzParse: any input either parses into rounds that validate and analyse, or fails with a
// file:line error; never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(Header + "\nP1,g,I1,1,7\nP2,h,I1,1,U\nP2,h,I2,1,\n"))
	f.Add([]byte("\uFEFF" + Header + "\r\nP1,g,I1,1,0\r\nP1,g,I1,2,9\r\n"))
	f.Add([]byte(Header + "\nP1,g,I1,1,10\n"))
	f.Add([]byte(Header + "\n\"P,1\",g,\"I\"\"1\",3,5\n"))
	f.Add([]byte(Header + "\nP1,g,I1,1,7\nP1,h,I1,1,7\n"))
	f.Add([]byte(Header + "\nP1,g,I1,1\n"))
	f.Add([]byte("a,b\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, max := range []int{9, 5} {
			rounds, err := Parse("f.csv", strings.NewReader(string(data)), max)
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) || pe.Line < 1 || !strings.HasPrefix(err.Error(), "f.csv:") {
					t.Fatalf("error without file:line: %v", err)
				}
				continue
			}
			s := consensus.ThirdsScale(max)
			for i, rd := range rounds {
				if err := rd.Validate(s); err != nil {
					t.Fatalf("round %d does not validate: %v", rd.Number, err)
				}
				if i > 0 && rounds[i-1].Number >= rd.Number {
					t.Fatalf("rounds out of order")
				}
			}
			consensus.Analyze(s, nil, rounds)
		}
	})
}
