# The two commands of the README, and a few helpers. Every target creates .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Jupyter refuses to start as root, which is what a container or a cloud notebook often is.
JUPYTER_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lessons test lint format exercises app clean

## lessons: install everything and open the course in Jupyter Lab
lessons: $(STAMP)
	$(BIN)/jupyter lab lessons/ $(JUPYTER_FLAGS)

## test: install everything and run the whole test suite (fast profile; real-data tests
## run too when MRI_COURSE_DATA points at the dataset). Two workers (pytest-xdist), each
## taking whole files, so a notebook's cells stay in one kernel: on 2 cores the suite takes
## about two thirds of the time of one worker. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: $(STAMP)
	MRI_COURSE_PROFILE=fast $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

## lint: ruff, as the tests also do
lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

## app: install everything and open the Streamlit app (the shipped CNN works out of the box)
app: $(STAMP)
	$(BIN)/streamlit run app/streamlit_app.py

## exercises: regenerate stubs, solution copies and lesson notebooks from the references
exercises: $(STAMP)
	$(BIN)/python -m mri_course.exercises.generate

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
