package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"palabre/internal/auth"
)

// DeviceCookie is the name of the cookie that tells a browser which has
// signed in as a login before. Its value is a random nonce and an HMAC,
// under a server key, of the nonce and the login: it cannot be made for
// another login, nor forged without the key. It is the sign-in throttle's
// way to tell the account's owner from whoever guesses at its password
// (the "device cookies" of OWASP's advice on online guessing).
const DeviceCookie = "palabre_device"

// DeviceLifetime is how long a device cookie lasts: a year, renewed at
// each sign-in.
const DeviceLifetime = 365 * 24 * time.Hour

// deviceKeyName names the server key device cookies are signed with.
const deviceKeyName = "device"

// newDeviceToken returns a new device cookie value for login.
func newDeviceToken(key []byte, login string) (string, error) {
	nonce, err := auth.NewSecret()
	if err != nil {
		return "", err
	}
	return nonce + "." + base64.RawURLEncoding.EncodeToString(deviceMAC(key, login, nonce)), nil
}

// checkDeviceToken reports whether value is a device cookie made for login
// under key, and answers its nonce, which tells one cookie from another.
func checkDeviceToken(key []byte, login, value string) (nonce string, ok bool) {
	nonce, mac, found := strings.Cut(value, ".")
	if !found || len(nonce) != 43 || len(mac) != 43 {
		return "", false
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(mac)
	if err != nil || !hmac.Equal(got, deviceMAC(key, login, nonce)) {
		return "", false
	}
	return nonce, true
}

// deviceMAC signs a nonce for a login; the NUL keeps the two apart.
func deviceMAC(key []byte, login, nonce string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("palabre device cookie\x00" + login + "\x00" + nonce))
	return m.Sum(nil)
}

// DeviceOf is the value of the device cookie a request carries, or "",
// for SignInAttempt.Device.
func DeviceOf(r *http.Request) string {
	if c, err := r.Cookie(DeviceCookie); err == nil {
		return c.Value
	}
	return ""
}
