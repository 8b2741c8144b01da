package main

import (
	"net"
	"os"
	"testing"
)

// The province's CPU shares name MySQL's process by the port the DSN
// gives: a listener of this process must be found as this process.
func TestListenerPIDFindsTheProcessListeningOnTheDSNsPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := listenerPID("root@tcp(" + l.Addr().String() + ")/test"); got != os.Getpid() {
		t.Fatalf("listenerPID = %d, want this process %d", got, os.Getpid())
	}
	if got := listenerPID("not a dsn"); got != 0 {
		t.Fatalf("listenerPID of a bad DSN = %d, want 0", got)
	}
}

func TestHeadroomMultiplesAreRead(t *testing.T) {
	got, err := parseMultiples("1, 2,5,,10")
	if err != nil || len(got) != 4 || got[3] != 10 {
		t.Fatalf("parseMultiples = %v, %v", got, err)
	}
	for _, bad := range []string{"1,x", "0", "-2"} {
		if _, err := parseMultiples(bad); err == nil {
			t.Fatalf("parseMultiples(%q) took it", bad)
		}
	}
}

func TestHoursOfTheDayAreRead(t *testing.T) {
	from, until, err := parseHours("7-11.5")
	if err != nil || from != 7 || until != 11.5 {
		t.Fatalf("parseHours(7-11.5) = %v, %v, %v", from, until, err)
	}
	for _, bad := range []string{"", "7", "11-7", "0-25", "-1-3", "a-b", "5-5"} {
		if _, _, err := parseHours(bad); err == nil {
			t.Fatalf("parseHours(%q) took it", bad)
		}
	}
}
