"""gunicorn settings for production (`gunicorn -c python:plugin.http.gunicorn_conf ...`, see README).

The access log names the path, never the query string: Shopify signs admin loads, app proxy
requests and the install callback in the query (``hmac``, ``signature``, ``id_token``, the OAuth
``code``), and a log line must not carry a credential. gunicorn's default format (``%(r)s``, the
request line) and ``%(q)s`` both would; the referrer (``%(f)s``) can be such a URL too. Options
given on the command line override these.
"""

accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
