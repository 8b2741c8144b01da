package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"mashang"
	"mashang/roster"
	"mashang/store"
	"mashang/store/storetest"
)

// BenchmarkStationsNear finds the 10 nearest of 5,000 open stations spread
// over a province (about 4° by 5°, a station every 5–7 km; Qingdao alone
// has 628) from the real SQLite store, as GET /mp/stations/near does:
// go test ./store -run x -bench StationsNear
func BenchmarkStationsNear(b *testing.B) {
	ctx := context.Background()
	db := storetest.Open(b, store.DriverSQLite)
	records := make([]roster.StationRecord, 5000)
	for i := range records {
		lat, lng := 34.5+float64(i%80)*0.05, 116.5+float64(i/80)*0.08
		records[i] = roster.StationRecord{Row: i + 2, Code: fmt.Sprintf("st%05d", i), Name: fmt.Sprintf("第%d代表联络站", i),
			Kind: mashang.StationLiaison, Jurisdiction: []string{"青岛市", fmt.Sprintf("第%d区", i%10), fmt.Sprintf("第%d街道", i%200)},
			Latitude: &lat, Longitude: &lng, ReceptionDays: "每月10日、20日", Open: true}
	}
	if _, err := roster.ImportStations(ctx, db, records); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.ResetTimer()
	for b.Loop() {
		near, err := mashang.Nearby(ctx, db, 36.06, 120.38, 10, now)
		if err != nil || len(near) != 10 {
			b.Fatalf("%d stations, %v", len(near), err)
		}
	}
}

// The widening box finds exactly what reading every station would, near
// and far from the stations, on both databases.
func TestStationsNearAgreesWithReadingThemAll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, driver string) {
		ctx := context.Background()
		db := storetest.Open(t, driver)
		var records []roster.StationRecord
		for i := range 300 {
			// Clusters and loners, a closed one, one without a place.
			lat, lng := 30+float64(i%17)*0.37+float64(i%3)*0.001, 110+float64(i%23)*0.61
			r := roster.StationRecord{Row: i + 2, Code: fmt.Sprintf("s%04d", i), Name: fmt.Sprintf("站%d", i), Kind: mashang.StationPoint,
				Jurisdiction: []string{"省", "市"}, Latitude: &lat, Longitude: &lng, Open: i != 7}
			if i == 11 {
				r.Latitude, r.Longitude = nil, nil
			}
			records = append(records, r)
		}
		if _, err := roster.ImportStations(ctx, db, records); err != nil {
			t.Fatal(err)
		}
		all, err := db.Stations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		everything := finderOver(all)
		for _, at := range [][2]float64{{30, 110}, {33.1, 117.3}, {36.5, 123.9}, {20, 100}, {45, 140}} {
			got, err := mashang.Nearby(ctx, db, at[0], at[1], 10, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			want, _ := mashang.Nearby(ctx, everything, at[0], at[1], 10, time.Now())
			if len(got) != 10 || fmt.Sprint(codes(got)) != fmt.Sprint(codes(want)) {
				t.Errorf("near %v: %v, reading all: %v", at, codes(got), codes(want))
			}
		}
	})
}

// finderOver answers every box with all the open stations it was given:
// what Nearby would see if it read them all.
type finderOver []mashang.Station

func (f finderOver) OpenStationsWithin(context.Context, float64, float64, float64, float64) ([]mashang.Station, error) {
	var open []mashang.Station
	for _, s := range f {
		if s.Open {
			open = append(open, s)
		}
	}
	return open, nil
}

func codes(near []mashang.NearbyStation) []string {
	out := make([]string, len(near))
	for i, n := range near {
		out[i] = n.Code
	}
	return out
}
