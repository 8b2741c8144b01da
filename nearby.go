package mashang

import (
	"cmp"
	"context"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// NearbyStation is an open station near a citizen.
type NearbyStation struct {
	Station
	DistanceKm    float64
	ReceivingNow  bool      // today is a reception day
	NextReception time.Time // the next reception day (zero when the plan is not in a form we read)
}

// StationFinder finds the open stations inside a box of latitudes and
// longitudes (an index on them keeps this quick on a province's stations).
type StationFinder interface {
	OpenStationsWithin(ctx context.Context, minLat, maxLat, minLng, maxLng float64) ([]Station, error)
}

// Nearby finds the open stations nearest to a place ("电子地图智能导航找站点").
// It looks in a box around the place, widening it until the box's inner
// circle holds the nearest limit stations, so a province's thousands of
// stations are never all read.
func Nearby(ctx context.Context, st StationFinder, lat, lng float64, limit int, now time.Time) ([]NearbyStation, error) {
	if lat < -90 || lat > 90 || lng < -180 || lng > 180 {
		return nil, Errorf(EINVALID, "纬度应在 -90 到 90 之间，经度应在 -180 到 180 之间")
	}
	if limit <= 0 || limit > 50 {
		limit = 10
	}
	here := Station{Latitude: &lat, Longitude: &lng}
	var out []NearbyStation
	for half := 0.05; ; half *= 4 { // degrees: ~5.5 km, then 22, 89, 356 … km
		minLat, maxLat := max(lat-half, -90), min(lat+half, 90)
		found, err := st.OpenStationsWithin(ctx, minLat, maxLat, lng-half, lng+half)
		if err != nil {
			return nil, err
		}
		out = out[:0]
		for _, s := range found {
			if km, ok := distanceKm(here, s); ok {
				out = append(out, NearbyStation{Station: s, DistanceKm: km})
			}
		}
		slices.SortFunc(out, func(a, b NearbyStation) int { return cmp.Compare(a.DistanceKm, b.DistanceKm) })
		// Anything outside the box is farther than the box's inner radius.
		inner := half * 111.19 * math.Cos(math.Max(math.Abs(minLat), math.Abs(maxLat))*math.Pi/180)
		if half >= 180 || (len(out) >= limit && out[limit-1].DistanceKm <= inner) {
			break
		}
	}
	if len(out) > limit {
		out = out[:limit]
	}
	for i := range out { // only for those shown: reading a plan is the costly part
		out[i].NextReception, out[i].ReceivingNow = NextReception(out[i].ReceptionDays, now)
	}
	return out, nil
}

var (
	monthlyDay = regexp.MustCompile(`(\d{1,2})日`)
	weeklyDay  = regexp.MustCompile(`(?:每周|周|星期)([一二三四五六日天])`)
	weekdays   = map[string]time.Weekday{"一": time.Monday, "二": time.Tuesday, "三": time.Wednesday, "四": time.Thursday,
		"五": time.Friday, "六": time.Saturday, "日": time.Sunday, "天": time.Sunday}
)

// NextReception reads a station's reception days as staff write them
// ("每月10日", "每月10日、20日", "每周三上午") and gives the next such day from
// now (China time), and whether it is today. What it cannot read gives the
// zero time: the plan is still shown as written.
func NextReception(plan string, now time.Time) (time.Time, bool) {
	today := now.In(China)
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, China)
	var days []int
	if at := strings.Index(plan, "每月"); at >= 0 {
		for _, g := range monthlyDay.FindAllStringSubmatch(plan[at:], -1) {
			if n, err := strconv.Atoi(g[1]); err == nil && n >= 1 && n <= 31 {
				days = append(days, n)
			}
		}
	}
	var weekly []time.Weekday
	for _, g := range weeklyDay.FindAllStringSubmatch(plan, -1) {
		weekly = append(weekly, weekdays[g[1]])
	}
	if len(days) == 0 && len(weekly) == 0 {
		return time.Time{}, false
	}
	for i := range 62 { // two months reach every monthly day
		d := day.AddDate(0, 0, i)
		if slices.Contains(days, d.Day()) || slices.Contains(weekly, d.Weekday()) {
			return d, i == 0
		}
	}
	return time.Time{}, false
}

// PublicDeputy is what anyone may see of a deputy (亮身份): never their
// phone or WeChat.
type PublicDeputy struct {
	Code     string
	Name     string
	Level    DeputyLevel
	Profile  string
	InOffice bool
}

// PublicGroup is a deputy group as a station's page shows it.
type PublicGroup struct {
	Name       string
	Duty       bool
	Leader     string
	Categories []string
}

// StationPage is a station's public page (四公开: deputies, reception plan).
type StationPage struct {
	Station
	Deputies []PublicDeputy
	Groups   []PublicGroup
}

// DeputyPage is a deputy's public page.
type DeputyPage struct {
	PublicDeputy
	Stations []Station
}
