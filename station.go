package mashang

import "math"

// Station is a place where deputies meet citizens (代表之家 / 代表联络站 /
// 联络点), reached by its own code (一站一码).
type Station struct {
	ID        int64
	Code      string // short ASCII code, unique; goes into the scene "st:<code>"
	Name      string // as citizens read it, e.g. 市南区八大关街道代表联络站
	Address   string
	Open      bool
	Latitude  *float64
	Longitude *float64
	// ReceptionDays is when deputies receive citizens, as staff wrote it
	// (e.g. 每月10日); ReceptionPlan the published plan (公开接待计划).
	ReceptionDays string
	ReceptionPlan string
	Kind          StationKind
}

// Deputy is a people's-congress deputy (人大代表), reached by their own code
// (一人一码) through the station they are grouped into.
type Deputy struct {
	ID          int64
	Code        string // unique; goes into the scene "dp:<code>"
	Name        string
	Level       string // 全国 / 省 / 市 / 区(县) / 镇(街道)
	StationCode string
	StationName string
	InOffice    bool
}

// distanceKm is the great-circle distance between two stations, or false
// when either has no location.
func distanceKm(a, b Station) (float64, bool) {
	if a.Latitude == nil || a.Longitude == nil || b.Latitude == nil || b.Longitude == nil {
		return 0, false
	}
	const earthRadiusKm = 6371.0
	rad := func(d float64) float64 { return d * math.Pi / 180 }
	dLat, dLng := rad(*b.Latitude-*a.Latitude), rad(*b.Longitude-*a.Longitude)
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(rad(*a.Latitude))*math.Cos(rad(*b.Latitude))*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(h)), true
}

// nearestOpen picks the open station nearest to from; without locations,
// none.
func nearestOpen(from Station, candidates []Station) (Station, float64, bool) {
	best, bestKm, found := Station{}, 0.0, false
	for _, c := range candidates {
		if !c.Open || c.Code == from.Code {
			continue
		}
		if km, ok := distanceKm(from, c); ok && (!found || km < bestKm) {
			best, bestKm, found = c, km, true
		}
	}
	return best, bestKm, found
}
