package fetch

import "net/netip"

// nonPublic returns why addr is not a public unicast address, or "" when
// it is. Besides the classes netip knows, it refuses the ranges IANA
// reserves for special purposes, since none of them hosts a public feed.
func nonPublic(addr netip.Addr) string {
	addr = addr.Unmap()
	switch {
	case !addr.IsValid():
		return "invalid address"
	case addr.IsUnspecified():
		return "unspecified address"
	case addr.IsLoopback():
		return "loopback address"
	case addr.IsPrivate():
		return "private address"
	case addr.IsLinkLocalUnicast(), addr.IsLinkLocalMulticast():
		return "link-local address"
	case addr.IsMulticast(), addr.IsInterfaceLocalMulticast():
		return "multicast address"
	}
	for _, r := range specialRanges() {
		if r.prefix.Contains(addr) {
			return r.why
		}
	}
	// IPv6 forms that carry an IPv4 address reach that address.
	for _, p := range []string{"64:ff9b::/96", "2002::/16"} {
		if netip.MustParsePrefix(p).Contains(addr) {
			b := addr.As16()
			v4 := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
			if p == "2002::/16" {
				v4 = netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})
			}
			if why := nonPublic(v4); why != "" {
				return why + " behind an IPv6 translation prefix"
			}
		}
	}
	return ""
}

type specialRange struct {
	prefix netip.Prefix
	why    string
}

// specialRanges lists the IANA special-purpose ranges that netip's
// predicates do not cover. Built per call to keep no package state; it is
// only consulted once per connection.
func specialRanges() []specialRange {
	r := func(p, why string) specialRange { return specialRange{netip.MustParsePrefix(p), why} }
	return []specialRange{
		r("0.0.0.0/8", "\"this network\" address"),
		r("100.64.0.0/10", "shared (carrier-grade NAT) address"),
		r("192.0.0.0/24", "IETF protocol assignment"),
		r("192.0.2.0/24", "documentation address"),
		r("198.18.0.0/15", "benchmarking address"),
		r("198.51.100.0/24", "documentation address"),
		r("203.0.113.0/24", "documentation address"),
		r("240.0.0.0/4", "reserved address"), // includes broadcast
		r("::/96", "reserved address"),       // deprecated IPv4-compatible form
		r("100::/64", "discard-only address"),
		r("64:ff9b:1::/48", "local-use translation address"),
		r("2001::/23", "IETF protocol assignment"),
		r("2001:db8::/32", "documentation address"),
		r("fec0::/10", "site-local address"),
	}
}
