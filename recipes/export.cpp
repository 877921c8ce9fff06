// lrnn export: a model's weights in a format other tools read.
//   lrnn export MODEL --format safetensors -o OUT
// MODEL is a run directory, a checkpoint or a seed model file (io/model_loader.hpp). OUT is a
// folder (created; its parent must exist) that receives model.safetensors, config.json (the
// model config) and tokenizer.json (the vocabulary): docs/formats.md.

#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "core/error.hpp"
#include "core/json.hpp"
#include "io/atomic_file.hpp"
#include "io/model_loader.hpp"
#include "io/output_folder.hpp"
#include "io/safetensors.hpp"
#include "io/tokenizer_json.hpp"
#include "command_line.hpp"
#include "recipes.hpp"

namespace po = boost::program_options;

namespace lrnn::recipes {

namespace {

Json model_config_json(const ModelConfig& c) {
    return Json{{"vocab_size", c.vocab_size},       {"n_layer", c.n_layer},
                {"n_embd", c.n_embd},               {"n_head", c.n_head},
                {"ctx_len", c.ctx_len},             {"decay_lora_rank", c.decay_lora_rank},
                {"ffn_multiplier", c.ffn_multiplier}, {"n_mem_slots", c.n_mem_slots}};
}

}  // namespace

int export_main(int argc, char** argv) {
    po::options_description opts(
        "lrnn export MODEL --format safetensors -o OUT\n\n"
        "  MODEL: a run directory (its newest checkpoint), a checkpoint or a seed model file.\n"
        "  OUT:   a folder (created; its parent must exist) for model.safetensors, config.json\n"
        "         and tokenizer.json (docs/formats.md)\n\noptions");
    opts.add_options()("help,h", "show this help")(
        "format", po::value<std::string>()->default_value("safetensors"), "safetensors")(
        "out,o", po::value<std::string>(), "output folder");
    const std::optional<CommandLine> line = parse_command_line(argc, argv, opts, {"model", -1});
    if (!line) return 0;  // the help was asked for (and printed)
    const po::variables_map& vm = line->options;
    if (line->positional.size() != 1)
        throw UserError("name one model to export: lrnn export MODEL --format safetensors -o OUT");
    if (!vm.count("out")) throw UserError("-o OUT is required (the folder to write the export into)");
    const std::string format = vm["format"].as<std::string>();
    if (format != "safetensors")
        throw UserError("--format must be safetensors (got '" + format + "'; npz is not supported)");

    const LoadedModel model = load_model(line->positional.front());
    const std::string out = vm["out"].as<std::string>();
    // Everything that can be refused is checked before the folder is made.
    const std::string weights = encode_safetensors(model.params, model.tokenizer, "lrnn export");
    const Json tokenizer = tokenizer_to_json(model.tokenizer, "lrnn export");
    make_output_folder(out, "-o");
    write_file_atomically(out + "/model.safetensors", weights);
    write_file_atomically(out + "/config.json", model_config_json(model.params.config()).dump(2) + "\n");
    write_file_atomically(out + "/tokenizer.json", tokenizer.dump(2) + "\n");
    std::cout << "exported " << model.params.values.size() << " parameters in "
              << model.params.layout.tensors().size() << " tensors from " << model.source << " to "
              << out << "/ (model.safetensors, config.json, tokenizer.json)\n";
    return 0;
}

}  // namespace lrnn::recipes
