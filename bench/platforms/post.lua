-- wrk: every request is a POST of the same small JSON body.
wrk.method = "POST"
wrk.body = '{"x": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]}'
wrk.headers["Content-Type"] = "application/json"
