# Two commands on a fresh machine: `make run` (portal + worker on the embedded defaults) and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run test lint chromium zbar pdftotext sshd wrk setup-db bench soak fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

setup-db: install
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py createcachetable
	$(PY) manage.py load_reference_data

# The embedded NRS sandbox answers on the portal's own address: SITE_URL (and with it NRS_SANDBOX_URL) follows
# HOST and PORT unless the environment, the command line or .env sets it. Else `make run PORT=8311` would send
# every NRS call to port 8000: to nothing, or to another instance. 0.0.0.0 is reached on the loopback.
ifeq ($(origin SITE_URL)$(shell grep -Eqs '^(export )?SITE_URL=' .env && echo .env),undefined)
run: export SITE_URL = http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
endif

# Portal and django-q2 worker together; Ctrl-C stops both. The trap removes itself first and signals only the two
# servers: `kill 0` would signal this shell too and run the trap again, without end. On Ctrl-C the worker stops by
# itself (a second signal does nothing, see portal/task_cluster.py); the web server, started in the background by
# a shell without job control, ignores SIGINT. `wait` lets the worker finish its tasks; a stop asked for exits 0.
run: setup-db
	@$(PY) manage.py seed_demo
	@echo "  Portal        : http://$(HOST):$(PORT)/   (Ctrl-C stops the portal and the worker)"
	@echo ""
	@trap 'trap - INT TERM; kill $$worker $$web 2>/dev/null; wait; exit 0' INT TERM; \
	  $(PY) manage.py qcluster & worker=$$!; \
	  $(PY) manage.py runserver $(HOST):$(PORT) & web=$$!; \
	  wait

# Browser tests drive Debian's Chromium; install it if the machine lacks it.
chromium:
	@test -x /usr/bin/chromium || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium)

# The zbar library behind pyzbar: tests decode the PDF's plain QR code as a phone camera app would.
zbar:
	@dpkg -s libzbar0 >/dev/null 2>&1 || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q libzbar0)

# Poppler's pdftotext: tests read an invoice PDF's text as a person's PDF viewer lays it out.
pdftotext:
	@command -v pdftotext >/dev/null || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q poppler-utils)

# Debian's OpenSSH server: the SFTP connector's tests run a real one on a local port (tests/sftpserver.py).
sshd:
	@test -x /usr/sbin/sshd || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q openssh-server)

# The bench's load generator (Debian's package).
wrk:
	@command -v wrk >/dev/null || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q wrk)

# Figures of the product as deployed (gunicorn + qcluster; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are
# set): one JSON summary on stdout. BENCH_ARGS e.g. "--only create,pdf --seconds 30".
bench: install wrk
	$(PY) bench/run.py $(BENCH_ARGS)

# The crash and fault soak at full size (1,000 invoices, 10 worker kills); CI runs a reduced one in make test.
soak: install
	$(PY) bench/soak.py $(SOAK_ARGS)

# The API fuzzed at full size; CI runs the reduced one in make test.
fuzz: install
	FUZZ_REQUESTS=$${FUZZ_REQUESTS:-5000} $(VENV)/bin/pytest -m fuzz tests/api/test_fuzz.py -q -s

# lint-imports: the layers and the one-way imports written down in pyproject.toml ([tool.importlinter]).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	@# The portal's scripts parse (a broken merge of one stops every page that loads it).
	@for script in static/js/*.js; do node --check $$script || exit 1; done

test: install chromium zbar pdftotext sshd lint
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) var
