package mashang

import "time"

// CheckPasswordsWith makes a's password checks go through check, so that
// tests see which hashes sign-in compares against.
func CheckPasswordsWith(a *Accounts, check func(hash, password []byte) error) { a.compare = check }

// ColourOf is the colour the sweep gives d at now.
func (s *Supervision) ColourOf(d Deadline, now time.Time) string { return s.colourOf(d, now) }
