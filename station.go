package mashang

import (
	"math"
	"strings"
)

// StationKind is what the articles call 家、站、点.
type StationKind string

const (
	StationHome    StationKind = "home"    // 代表之家
	StationLiaison StationKind = "station" // 代表联络站
	StationPoint   StationKind = "point"   // 代表联络点
)

// DeputyLevel is the congress a deputy sits in: the five levels.
type DeputyLevel string

const (
	LevelNational   DeputyLevel = "national"   // 全国人大代表
	LevelProvincial DeputyLevel = "provincial" // 省人大代表
	LevelCity       DeputyLevel = "city"       // 市人大代表
	LevelCounty     DeputyLevel = "county"     // 县（市、区）人大代表
	LevelTown       DeputyLevel = "town"       // 乡镇人大代表
)

// JurisdictionLevel is a level of the jurisdiction tree.
type JurisdictionLevel string

const (
	JurisdictionCity     JurisdictionLevel = "city"     // 市
	JurisdictionDistrict JurisdictionLevel = "district" // 区（市、县）
	JurisdictionTown     JurisdictionLevel = "town"     // 镇（街道）
)

// labels lists what staff write in a roster for each value, the first being
// how the service writes it back.
var (
	stationKindLabels = map[StationKind][]string{
		StationHome:    {"代表之家", "人大代表之家", "家"},
		StationLiaison: {"代表联络站", "人大代表联络站", "联络站", "站"},
		StationPoint:   {"代表联络点", "人大代表联络点", "联络点", "点"},
	}
	deputyLevelLabels = map[DeputyLevel][]string{
		LevelNational:   {"全国", "全国人大代表", "全国人大"},
		LevelProvincial: {"省", "省人大代表", "省人大"},
		LevelCity:       {"市", "市人大代表", "市人大"},
		LevelCounty:     {"区（市、县）", "区", "县", "县级", "区人大代表", "县人大代表", "区(市、县)"},
		LevelTown:       {"镇（街道）", "镇", "乡", "街道", "乡镇", "镇人大代表", "乡镇人大代表", "镇(街道)"},
	}
)

// ParseStationKind reads a station kind as staff write it in a roster.
func ParseStationKind(s string) (StationKind, bool) { return parseLabel(stationKindLabels, s) }

// ParseDeputyLevel reads a deputy's level as staff write it in a roster.
func ParseDeputyLevel(s string) (DeputyLevel, bool) { return parseLabel(deputyLevelLabels, s) }

func parseLabel[T ~string](labels map[T][]string, s string) (T, bool) {
	s = strings.TrimSpace(s)
	for v, names := range labels {
		if string(v) == s {
			return v, true
		}
		for _, n := range names {
			if n == s {
				return v, true
			}
		}
	}
	return "", false
}

// Label is how a person reads the kind.
func (k StationKind) Label() string { return stationKindLabels[k][0] }

// Label is how a person reads the level.
func (l DeputyLevel) Label() string { return deputyLevelLabels[l][0] }

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
