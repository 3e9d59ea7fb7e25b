# neohebb: `make demo` and `make test` work on a fresh machine (they set up .venv first).
# The pip route below is what CI uses; environment.yml is the conda-forge route for users.

PYTHON ?= $(shell command -v python3.12 >/dev/null 2>&1 && echo python3.12 || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DIR ?= results/demo
STUDY_DIR ?= results/study-demo
ENV_STUDY_DIR ?= results/study-environment
PROG_SWEEP_DIR ?= results/sweep-programming
RULE_COST_DIR ?= results/sweep-rule-costs
RECURRENT_DIR ?= results/sweep-recurrent
CLAIMS_DIR ?= results/sweep-claims
CARD ?= $(DEMO_DIR)/model_card.json
TIMIT_CORPUS ?= data/timit-synth
FESTIVAL_PACKAGES := festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: venv demo test test-fast test-slow lint typecheck bench clean help timit-corpus study-demo study-environment sweep-programming sweep-rule-costs sweep-claims sweep-recurrent

help:
	@echo "make demo       set up, then run the pipeline on the embedded default device -> $(DEMO_DIR)"
	@echo "make test       set up, then lint + type-check + the test suite (slow tests excluded)"
	@echo "make test-slow  only the slow physics runs (refined meshes)"
	@echo "make study-demo set up, then the demo co-design study (12 designs, about 6 min) -> $(STUDY_DIR)"
	@echo "make study-environment  the default stack in a um box, one environment change at a"
	@echo "                   time, with the maze on each card (8 designs, about 25 min) -> $(ENV_STUDY_DIR)"
	@echo "make sweep-programming  the maze on CARD (default: the demo's card) over SET pulse"
	@echo "                   voltages and access resistances, SET-only and SET/RESET pairs:"
	@echo "                   where |dG| lands (about 15 min) -> $(PROG_SWEEP_DIR)"
	@echo "make sweep-claims  20 seeds per point on CARD: the decay and variability sweeps of the"
	@echo "                 thermal back-end and the decay sweep of the ideal one, about 1 h on"
	@echo "                 2 cores -> $(CLAIMS_DIR) (docs/learning.md)"
	@echo "make sweep-rule-costs  20 seeds each: ideal with the non-negative vs the signed"
	@echo "                   eligibility, thermal on CARD with vs without crosstalk; compares"
	@echo "                   them (about 25 min on 2 cores) -> $(RULE_COST_DIR)"
	@echo "make sweep-recurrent  20 seeds each: the recurrent (LSNN) and the feed-forward actor"
	@echo "                   on the maze and the partially observed maze, and the recurrent one"
	@echo "                   without memory; compares them (about 6 min on 2 cores) -> $(RECURRENT_DIR)"
	@echo "make bench      benchmarks; figures go to docs/benchmarks.md by hand"
	@echo "make timit-corpus  install Festival (Debian packages, needs root or sudo) and generate"
	@echo "                   the synthetic TIMIT-format corpus -> $(TIMIT_CORPUS)"

venv: $(STAMP)

$(STAMP): pyproject.toml .python-version
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 12), "neohebb needs Python >= 3.12 (dolfinx wheel); got " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[fe,dev]'
	@touch $@

demo: $(STAMP)
	$(VENV)/bin/neohebb run --out $(DEMO_DIR)
	@echo "demo results: $(DEMO_DIR)/"

study-demo: $(STAMP)
	$(VENV)/bin/neohebb study neohebb/demo_study.toml --out $(STUDY_DIR)
	@echo "study results: $(STUDY_DIR)/ (study.csv, pareto.png, figures.png)"

study-environment: $(STAMP)
	$(VENV)/bin/neohebb study neohebb/environment_study.toml --out $(ENV_STUDY_DIR)
	@echo "study results: $(ENV_STUDY_DIR)/ (study.csv, pareto.png, figures.png)"

sweep-programming: $(STAMP)
	@test -f $(CARD) || { echo "no model card at $(CARD): run make demo first, or pass CARD=..."; exit 2; }
	$(VENV)/bin/neohebb sweep --card $(CARD) --config neohebb/programming_sweep.toml --out $(PROG_SWEEP_DIR)/set_only
	mkdir -p $(PROG_SWEEP_DIR)
	sed 's/^programming = "set_only".*/programming = "pair"/' neohebb/programming_sweep.toml > $(PROG_SWEEP_DIR)/pair.toml
	$(VENV)/bin/neohebb sweep --card $(CARD) --config $(PROG_SWEEP_DIR)/pair.toml --out $(PROG_SWEEP_DIR)/pair

sweep-claims: $(STAMP)
	@test -f $(CARD) || { echo "no model card at $(CARD): run make demo first, or pass CARD=..."; exit 2; }
	mkdir -p $(CLAIMS_DIR)/thermal/.sweep-runs
	@# the demo's runs at the same points are among these: reuse them
	test ! -d $(DEMO_DIR)/sweep/.sweep-runs || cp -n $(DEMO_DIR)/sweep/.sweep-runs/*.json $(CLAIMS_DIR)/thermal/.sweep-runs/ 2>/dev/null || true
	$(VENV)/bin/neohebb sweep --card $(CARD) --config neohebb/claims_thermal.toml --out $(CLAIMS_DIR)/thermal
	$(VENV)/bin/neohebb sweep --trace ideal --config neohebb/claims_ideal.toml --out $(CLAIMS_DIR)/ideal

sweep-rule-costs: $(STAMP)
	@test -f $(CARD) || { echo "no model card at $(CARD): run make demo first, or pass CARD=..."; exit 2; }
	mkdir -p $(RULE_COST_DIR)
	sed 's/^eligibility = "nonnegative".*/eligibility = "signed"/' neohebb/rule_cost_ideal.toml > $(RULE_COST_DIR)/signed.toml
	sed 's/^crosstalk = true.*/crosstalk = false/' neohebb/rule_cost_thermal.toml > $(RULE_COST_DIR)/no_crosstalk.toml
	$(VENV)/bin/neohebb sweep --trace ideal --config neohebb/rule_cost_ideal.toml --out $(RULE_COST_DIR)/ideal_nonnegative
	$(VENV)/bin/neohebb sweep --trace ideal --config $(RULE_COST_DIR)/signed.toml --out $(RULE_COST_DIR)/ideal_signed
	$(VENV)/bin/neohebb sweep --card $(CARD) --config neohebb/rule_cost_thermal.toml --out $(RULE_COST_DIR)/thermal_crosstalk
	$(VENV)/bin/neohebb sweep --card $(CARD) --config $(RULE_COST_DIR)/no_crosstalk.toml --out $(RULE_COST_DIR)/thermal_no_crosstalk
	$(VENV)/bin/neohebb sweep-compare $(RULE_COST_DIR)/ideal_nonnegative $(RULE_COST_DIR)/ideal_signed --json $(RULE_COST_DIR)/eligibility.json
	$(VENV)/bin/neohebb sweep-compare $(RULE_COST_DIR)/thermal_crosstalk $(RULE_COST_DIR)/thermal_no_crosstalk --json $(RULE_COST_DIR)/crosstalk.json

REC_FF = -e 's/^network = "recurrent".*/network = "feedforward"/' -e 's/^eligibility = "signed".*/eligibility = "nonnegative"/'
REC_PLACE = -e 's/^observation = "neighbours".*/observation = "place"/'
sweep-recurrent: $(STAMP)
	mkdir -p $(RECURRENT_DIR)
	sed $(REC_FF) neohebb/recurrent_maze.toml > $(RECURRENT_DIR)/ff_neighbours.toml
	sed $(REC_PLACE) neohebb/recurrent_maze.toml > $(RECURRENT_DIR)/rec_place.toml
	sed $(REC_FF) $(REC_PLACE) neohebb/recurrent_maze.toml > $(RECURRENT_DIR)/ff_place.toml
	sed 's/^memory = true.*/memory = false/' neohebb/recurrent_maze.toml > $(RECURRENT_DIR)/rec_no_memory.toml
	$(VENV)/bin/neohebb sweep --trace ideal --config neohebb/recurrent_maze.toml --out $(RECURRENT_DIR)/recurrent_neighbours --batch 10
	$(VENV)/bin/neohebb sweep --trace ideal --config $(RECURRENT_DIR)/ff_neighbours.toml --out $(RECURRENT_DIR)/feedforward_neighbours --batch 10
	$(VENV)/bin/neohebb sweep --trace ideal --config $(RECURRENT_DIR)/rec_place.toml --out $(RECURRENT_DIR)/recurrent_place --batch 10
	$(VENV)/bin/neohebb sweep --trace ideal --config $(RECURRENT_DIR)/ff_place.toml --out $(RECURRENT_DIR)/feedforward_place --batch 10
	$(VENV)/bin/neohebb sweep --trace ideal --config $(RECURRENT_DIR)/rec_no_memory.toml --out $(RECURRENT_DIR)/recurrent_neighbours_no_memory --batch 10
	$(VENV)/bin/neohebb sweep-compare $(RECURRENT_DIR)/feedforward_neighbours $(RECURRENT_DIR)/recurrent_neighbours --json $(RECURRENT_DIR)/neighbours.json
	$(VENV)/bin/neohebb sweep-compare $(RECURRENT_DIR)/recurrent_neighbours_no_memory $(RECURRENT_DIR)/recurrent_neighbours --json $(RECURRENT_DIR)/memory.json
	$(VENV)/bin/neohebb sweep-compare $(RECURRENT_DIR)/feedforward_place $(RECURRENT_DIR)/recurrent_place --json $(RECURRENT_DIR)/place.json

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy meshes thermal devicefit snn neohebb

# the suite runs on every core (pytest-xdist; TEST_WORKERS=0 runs it serially); one BLAS and
# OpenMP thread per worker, so that workers do not oversubscribe the cores
TEST_WORKERS ?= auto
test: lint typecheck
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m pytest -m "not slow" \
		-n $(TEST_WORKERS) --dist worksteal --doctest-modules --doctest-glob="*.md" \
		meshes thermal devicefit snn neohebb tests docs/learning.md

test-slow: $(STAMP)
	$(PY) -m pytest -m slow tests

bench: $(STAMP)
	$(PY) tests/benchmarks/bench_thermal.py --heaters 1
	$(PY) tests/benchmarks/bench_compact.py
	$(PY) tests/benchmarks/bench_eprop.py
	@if [ -f $(DEMO_DIR)/model_card.json ]; then \
		$(PY) tests/benchmarks/bench_batch.py $(DEMO_DIR)/model_card.json --agents 20 --episodes 40; \
	else echo "bench_batch.py skipped: it needs the demo's card (make demo)"; fi
	$(PY) tests/benchmarks/bench_timit.py --corpus tests/data/timit_fixture
	$(PY) tests/benchmarks/bench_study.py

# The generated corpus: Debian's Festival and three US English voices (installed here only,
# never by `make test`, which uses the committed fixture tests/data/timit_fixture).
timit-corpus: $(STAMP)
	@dpkg -s $(FESTIVAL_PACKAGES) >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(FESTIVAL_PACKAGES); }
	$(PY) -m snn.timit.generate --out $(TIMIT_CORPUS) --train-speakers 24 --test-speakers 8

clean:
	rm -rf $(VENV) results .pytest_cache .mypy_cache .ruff_cache
