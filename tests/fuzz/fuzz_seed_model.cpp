// The seed program's model file (io/seed_model.hpp), read as `lrnn` reads any model argument.

#include "fuzz_harness.hpp"
#include "io/seed_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lrnn;
    const std::string path = fuzz::scratch().write("model.bin", fuzz::as_text(data, size));
    fuzz::expect_only_user_errors([&] {
        (void)is_seed_model_file(path);
        const ImportedModel model = read_seed_model(path);
        fuzz::require(model.params.values.size() == model.params.layout.total_size(),
                      "the parameters fill the config's layout");
        fuzz::require(model.tokenizer.vocab_size() == model.params.config().vocab_size,
                      "the vocabulary has vocab_size entries");
    });
    return 0;
}
