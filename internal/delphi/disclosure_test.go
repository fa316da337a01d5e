package delphi

import (
	"reflect"
	"testing"
)

// TestSuppress: cells under min are withheld, and then the smallest cells shown until the
// withheld ones together hold 0 or at least min in every dimension.
func TestSuppress(t *testing.T) {
	tests := []struct {
		name   string
		sizes  [][]int
		totals []int
		pre    []bool
		want   []bool
	}{
		{"all large", [][]int{{6}, {7}}, []int{13}, nil, []bool{false, false}},
		{"one of one: its complement too", [][]int{{1}, {6}, {9}}, []int{16}, nil, []bool{true, true, false}},
		{"two small together reach min", [][]int{{3}, {3}, {9}}, []int{15}, nil, []bool{true, true, false}},
		{"empty cells are no risk", [][]int{{0}, {6}, {9}}, []int{15}, nil, []bool{false, false, false}},
		{"every dimension", [][]int{{5, 5}, {6, 1}, {9, 9}}, []int{20, 15}, nil, []bool{true, true, false}},
		{"withheld from the start", [][]int{{6}, {7}, {8}}, []int{21}, []bool{false, true, false}, []bool{false, true, false}},
		{"withheld from the start, small", [][]int{{6}, {7}, {3}}, []int{16}, []bool{false, false, true}, []bool{true, false, true}},
		{"nothing left to hide", [][]int{{2}}, []int{2}, nil, []bool{true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pre := tt.pre
			if pre == nil {
				pre = make([]bool, len(tt.sizes))
			}
			if got := suppress(tt.sizes, tt.totals, 5, pre); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("suppress = %v, want %v", got, tt.want)
			}
		})
	}
}
