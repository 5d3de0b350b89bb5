-- wrk script of the benchmark kit for the baselines: a POST with a body the size of one scan,
-- to BATCH_PATH when it is set (the batched insert), else to the URL's path.
wrk.method = "POST"
wrk.path = os.getenv("BATCH_PATH") or wrk.path
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"scans":[{"code":"ZW-0000-0000","action":"return","site_id":"0190a0b1-0000-7000-8000-000000000001"}]}'
