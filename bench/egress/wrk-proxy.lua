-- wrk through a forward proxy: wrk connects to the proxy (its URL argument)
-- and sends absolute-URI requests for $TARGET.
local target = os.getenv("TARGET")
local host = target:match("^%a+://([^/]+)")
request = function()
  return wrk.format("GET", target, { ["Host"] = host })
end
