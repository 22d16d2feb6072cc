package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/concurgo/concur/server"
)

// CORSMiddleware in front of any handler: a browser's preflight is
// answered by the policy, the request that follows reaches the handler.
// In `concur serve` the same policy is Config.CORS (flags -cors-*).
func ExampleCORSPolicy_Handler() {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "created") })
	h, err := server.CORSPolicy{
		AllowOrigins: []string{"https://app.example.com"},
		AllowMethods: []string{"GET", "POST"},
		AllowHeaders: []string{"Authorization"},
	}.Handler(api)
	if err != nil {
		fmt.Println(err)
		return
	}
	call := func(method, origin string, header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/jobs", nil)
		req.Header.Set("Origin", origin)
		for i := 0; i < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	pre := call("OPTIONS", "https://app.example.com",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type")
	fmt.Println(pre.Code, pre.Body)
	fmt.Println("Allow-Origin:", pre.Header().Get("Access-Control-Allow-Origin"))
	fmt.Println("Allow-Methods:", pre.Header().Get("Access-Control-Allow-Methods"))
	fmt.Println("Allow-Headers:", pre.Header().Get("Access-Control-Allow-Headers"))

	post := call("POST", "https://app.example.com")
	fmt.Println(post.Code, post.Body, post.Header().Get("Access-Control-Allow-Origin"))

	refused := call("OPTIONS", "https://elsewhere.example", "Access-Control-Request-Method", "DELETE")
	fmt.Println(refused.Code, refused.Body)
	// Output:
	// 200 OK
	// Allow-Origin: https://app.example.com
	// Allow-Methods: GET, POST
	// Allow-Headers: Accept, Accept-Language, Authorization, Content-Language, Content-Type
	// 200 created https://app.example.com
	// 400 Disallowed CORS origin, method
}

// A wildcard origin with credentials is refused, where Starlette would
// let every web site act as the signed-in user.
func ExampleCORSPolicy_wildcardWithCredentials() {
	_, err := server.CORSPolicy{AllowOrigins: []string{"*"}, AllowCredentials: true}.Handler(http.NotFoundHandler())
	fmt.Println(err)
	// Output:
	// cors: allow_origins "*" with allow_credentials would let every web site call the API with the user's credentials; list the trusted origins instead
}
