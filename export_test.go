package mashang

// CheckPasswordsWith makes a's password checks go through check, so that
// tests see which hashes sign-in compares against.
func CheckPasswordsWith(a *Accounts, check func(hash, password []byte) error) { a.compare = check }
