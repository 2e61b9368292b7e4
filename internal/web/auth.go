package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// Auth guards writes (DLQ replay). Reads are open to whoever reaches the
// address. With a token or a user configured a write must present one of
// them; with neither, writes are accepted from loopback peers only.
type Auth struct {
	Token    string // Authorization: Bearer <Token>, or a form field "token"
	User     string // basic auth, with Password
	Password string
}

func (a Auth) configured() bool { return a.Token != "" || a.User != "" }

// denial is why a write was refused.
type denial struct {
	code int
	msg  string
}

// authorize returns who is writing (for the replay record) or why not.
func (a Auth) authorize(r *http.Request) (who string, d *denial) {
	host := remoteHost(r)
	if !a.configured() {
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return "", &denial{http.StatusForbidden, "writes are accepted from loopback only while neither GD_WEB_TOKEN nor GD_WEB_USER is set"}
		}
		return "web " + host, nil
	}
	if user, pass, ok := r.BasicAuth(); ok && a.User != "" {
		userOK := subtle.ConstantTimeCompare([]byte(user), []byte(a.User))
		passOK := subtle.ConstantTimeCompare([]byte(pass), []byte(a.Password))
		if userOK&passOK == 1 {
			return "web " + a.User, nil
		}
	}
	if a.Token != "" {
		tok, ok := bearer(r)
		if !ok && r.Method == http.MethodPost {
			tok = r.PostFormValue("token") // the HTML form's token field; never the query
		}
		if tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(a.Token)) == 1 {
			return "web " + host, nil
		}
	}
	return "", &denial{http.StatusUnauthorized, "authentication required: send Authorization: Bearer <GD_WEB_TOKEN> or basic auth (GD_WEB_USER)"}
}

// challenge sets WWW-Authenticate for a 401.
func (a Auth) challenge(w http.ResponseWriter) {
	if a.User != "" {
		w.Header().Add("WWW-Authenticate", `Basic realm="gravedancer", charset="UTF-8"`)
	}
	if a.Token != "" {
		w.Header().Add("WWW-Authenticate", `Bearer realm="gravedancer"`)
	}
}

func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// remoteHost is the peer's address without the port. X-Forwarded-For is
// deliberately ignored: a header cannot make a request loopback.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// formTokens sign the replay forms with a key made when the process
// starts: a POST from the page carries the token of its entry, which a page
// on another origin cannot read. It backs up http.CrossOriginProtection
// for browsers that send neither Sec-Fetch-Site nor Origin.
type formTokens struct{ key []byte }

func newFormTokens() formTokens {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	return formTokens{key: key}
}

func (f formTokens) replay(seq uint64) string {
	m := hmac.New(sha256.New, f.key)
	m.Write([]byte("replay " + strconv.FormatUint(seq, 10)))
	return hex.EncodeToString(m.Sum(nil))
}

func (f formTokens) validReplay(seq uint64, tok string) bool {
	return hmac.Equal([]byte(tok), []byte(f.replay(seq)))
}
