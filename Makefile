# The two set-up commands of the README. Both install what is missing first.
PRESET ?= release
BUILD := build/$(PRESET)
CONFIG ?= config/tern.yaml

FUZZ_SECONDS ?= 600

.PHONY: run test build deps clean format fuzz cluster cluster-down

deps:
	@./scripts/install-deps

$(BUILD)/CMakeCache.txt: | deps
	cmake --preset $(PRESET)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build --preset $(PRESET)

run: build
	./$(BUILD)/server/ternd --config $(CONFIG)

test: build
	ctest --preset $(PRESET) --timeout 900

# A local cluster: node i on 127.0.0.(10+i) with the standard ports, data in build/cluster.
NODES ?= 3
RF ?= 2
cluster: build
	RF=$(RF) ./scripts/local-cluster up $(NODES)

cluster-down:
	./scripts/local-cluster down

# The wire-protocol fuzzer (clang + libFuzzer, ASan, UBSan) on the seed corpus of real client
# frames in tests/fuzz/corpus, then the expression fuzzer on tests/fuzz/corpus_exp; new inputs
# go to build/fuzz/corpus and build/fuzz/corpus_exp.
fuzz:
	@./scripts/install-deps fuzz
	cmake --preset fuzz
	cmake --build --preset fuzz
	mkdir -p build/fuzz/corpus
	./build/fuzz/tests/fuzz/wire_fuzz -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 \
	  build/fuzz/corpus tests/fuzz/corpus
	mkdir -p build/fuzz/corpus_exp
	./build/fuzz/tests/fuzz/expression_fuzz -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 \
	  build/fuzz/corpus_exp tests/fuzz/corpus_exp

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build
