package report

// ForView returns the summary as view (screen, print or slides) shows it. Only the slides
// view shows the results in slide-sized chunks (the "only-slides" parts, hidden on screen and
// on paper), and they repeat every item's row and histogram, so the other views leave them
// out. The slides view keeps everything: printed, it shows the screen's parts.
func (s *Summary) ForView(view string) *Summary {
	if view == "slides" {
		return s
	}
	c := *s
	c.Slides = nil
	return &c
}
