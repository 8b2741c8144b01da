package configs

import (
	"bytes"
	_ "embed"
)

// holidaysCN is the national table of public holidays and make-up working
// days, edited each year from the State Council's notice.
//
//go:embed holidays/cn.csv
var holidaysCN []byte

// Holidays returns the national holiday table (configs/holidays/cn.csv, built
// into the binary) for workday.Parse. The format is described at
// the top of the file.
func Holidays() []byte { return bytes.Clone(holidaysCN) }
