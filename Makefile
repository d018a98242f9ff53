# The two set-up commands of the README. Both install what is missing first.
PRESET ?= release
BUILD := build/$(PRESET)
CONFIG ?= config/tern.yaml

.PHONY: run test build deps clean format

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

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build
