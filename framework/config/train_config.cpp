#include "config/train_config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "core/error.hpp"
#include "core/text.hpp"
#include "data/subword_model.hpp"

namespace lrnn {

namespace {

enum class Kind { Integer, Count, Number, Boolean, Text };  // Count: an unsigned integer

const char* kind_name(Kind k) {
    switch (k) {
        case Kind::Integer: return "an integer";
        case Kind::Count: return "a non-negative integer";
        case Kind::Number: return "a number";
        case Kind::Boolean: return "true or false";
        case Kind::Text: return "a string";
    }
    return "?";
}

std::string format_number(double v) {
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, res.ptr);
}

std::string quote(const std::string& s) {
    YAML::Emitter e;
    e << YAML::DoubleQuoted << s;
    return e.c_str();
}

// One configuration key: how to read a YAML scalar into the config and how to print it back.
struct Field {
    std::string key;
    Kind kind;
    std::function<void(TrainConfig&, const YAML::Node&, const std::string& where)> set;
    std::function<std::string(const TrainConfig&)> get;
};

template <typename T>
T convert(const YAML::Node& node, const std::string& key, Kind kind, const std::string& where) {
    if (!node.IsScalar())
        throw UserError(where + key + " expects " + kind_name(kind) + ", got a " +
                        (node.IsMap() ? "mapping" : node.IsSequence() ? "list" : "null value"));
    try {
        return node.as<T>();
    } catch (const YAML::Exception&) {
        throw UserError(where + key + " expects " + kind_name(kind) + ", got '" + node.Scalar() + "'");
    }
}

// Builds a Field from an accessor returning a reference to the member.
template <typename T, typename Access>
Field field(std::string key, Access access) {
    Kind kind = std::is_same_v<T, bool>             ? Kind::Boolean
                : std::is_unsigned_v<T>             ? Kind::Count
                : std::is_integral_v<T>             ? Kind::Integer
                : std::is_floating_point_v<T>       ? Kind::Number
                                                    : Kind::Text;
    Field f{key, kind, nullptr, nullptr};
    f.set = [access, key, kind](TrainConfig& c, const YAML::Node& node, const std::string& where) {
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
            // "1e3" or "2.0" are numbers, not integers: refuse rather than truncate.
            const std::string s = node.IsScalar() ? node.Scalar() : "";
            if (node.IsScalar() && s.find_first_of(".eE") != std::string::npos)
                throw UserError(where + key + " expects " + kind_name(kind) + ", got '" + s + "'");
        }
        access(c) = convert<T>(node, key, kind, where);
        if constexpr (std::is_floating_point_v<T>) {
            // YAML reads .inf and .nan as numbers; no setting means either.
            if (!std::isfinite(access(c)))
                throw UserError(where + key + " expects a finite number, got '" + node.Scalar() + "'");
        }
        c.explicit_keys.insert(key);
        c.key_origins[key] = where;
    };
    f.get = [access](const TrainConfig& c) -> std::string {
        const T& v = access(const_cast<TrainConfig&>(c));
        if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
        else if constexpr (std::is_integral_v<T>) return std::to_string(v);
        else if constexpr (std::is_floating_point_v<T>) return format_number(double(v));
        else return quote(v);
    };
    return f;
}

// data.path / data.val_path: a path (YAML scalar) or a list of them (YAML sequence), written
// back in the form given so that config.yaml reloads to the same config.
Field path_list_field(std::string key, std::string DataSection::*one, std::vector<std::string> DataSection::*list) {
    Field f{key, Kind::Text, nullptr, nullptr};
    f.set = [key, one, list](TrainConfig& c, const YAML::Node& node, const std::string& where) {
        if (node.IsSequence()) {
            std::vector<std::string> entries;
            for (const YAML::Node& item : node) {
                if (!item.IsScalar() || item.Scalar().empty())
                    throw UserError(where + key + " expects a path or a list of paths; an entry of the list is " +
                                    (item.IsScalar() ? "empty" : item.IsMap() ? "a mapping" : "not a path"));
                entries.push_back(item.Scalar());
            }
            if (entries.empty()) throw UserError(where + key + " is an empty list; give at least one path");
            c.data.*list = std::move(entries);
            (c.data.*one).clear();
        } else {
            if (node.IsMap()) throw UserError(where + key + " expects a path or a list of paths, got a mapping");
            c.data.*one = convert<std::string>(node, key, Kind::Text, where);
            (c.data.*list).clear();
        }
        c.explicit_keys.insert(key);
        c.key_origins[key] = where;
    };
    f.get = [one, list](const TrainConfig& c) -> std::string {
        if ((c.data.*list).empty()) return quote(c.data.*one);
        std::string text = "[";
        for (const std::string& entry : c.data.*list) text += (text.size() > 1 ? ", " : "") + quote(entry);
        return text + "]";
    };
    return f;
}

// Relative paths of the data section (a path given in a file: against the file's folder;
// on the command line: against the working directory) made absolute, so that the run's
// config.yaml resumes from any directory.
void resolve_input_paths(TrainConfig& config, const std::string& key, const std::filesystem::path& base_dir) {
    const auto resolve = [&](std::string& path) {
        if (path.empty()) return;
        const std::filesystem::path p(path);
        if (p.is_relative()) path = (base_dir / p).lexically_normal().string();
    };
    DataSection& d = config.data;
    if (key == "data.path") {
        resolve(d.path);
        for (std::string& entry : d.path_list) resolve(entry);
    } else if (key == "data.val_path") {
        resolve(d.val_path);
        for (std::string& entry : d.val_path_list) resolve(entry);
    } else if (key == "data.tokenizer_path") {
        resolve(d.tokenizer_path);
    } else if (key == "train.init_from") {
        resolve(config.train.init_from);
    }
}

#define LRNN_FIELD(type, key, member) field<type>(key, [](TrainConfig& c) -> type& { return c.member; })

const std::vector<Field>& schema() {
    static const std::vector<Field> fields = {
        LRNN_FIELD(std::string, "run.name", run.name),
        LRNN_FIELD(std::string, "run.dir", run.dir),
        LRNN_FIELD(std::uint64_t, "run.seed", run.seed),
        path_list_field("data.path", &DataSection::path, &DataSection::path_list),
        path_list_field("data.val_path", &DataSection::val_path, &DataSection::val_path_list),
        LRNN_FIELD(std::string, "data.jsonl_field", data.jsonl_field),
        LRNN_FIELD(std::string, "data.tokenizer", data.tokenizer),
        LRNN_FIELD(int, "data.vocab_size", data.vocab_size),
        LRNN_FIELD(std::string, "data.tokenizer_path", data.tokenizer_path),
        LRNN_FIELD(double, "data.val_fraction", data.val_fraction),
        LRNN_FIELD(bool, "model.auto", model.auto_size),
        LRNN_FIELD(int, "model.n_layer", model.shape.n_layer),
        LRNN_FIELD(int, "model.n_embd", model.shape.n_embd),
        LRNN_FIELD(int, "model.n_head", model.shape.n_head),
        LRNN_FIELD(int, "model.ctx_len", model.shape.ctx_len),
        LRNN_FIELD(int, "model.decay_lora_rank", model.shape.decay_lora_rank),
        LRNN_FIELD(double, "model.ffn_multiplier", model.shape.ffn_multiplier),
        LRNN_FIELD(int, "model.n_mem_slots", model.shape.n_mem_slots),
        LRNN_FIELD(std::string, "train.init_from", train.init_from),
        LRNN_FIELD(int, "train.epochs", train.epochs),
        LRNN_FIELD(std::int64_t, "train.max_steps", train.max_steps),
        LRNN_FIELD(double, "train.max_seconds", train.max_seconds),
        LRNN_FIELD(int, "train.batch_chunks", train.batch_chunks),
        LRNN_FIELD(int, "train.threads", train.threads),
        LRNN_FIELD(double, "train.lr", train.lr),
        LRNN_FIELD(double, "train.min_lr", train.min_lr),
        LRNN_FIELD(std::int64_t, "train.warmup_steps", train.warmup_steps),
        LRNN_FIELD(std::string, "train.schedule", train.schedule),
        LRNN_FIELD(double, "train.weight_decay", train.weight_decay),
        LRNN_FIELD(double, "train.grad_clip", train.grad_clip),
        LRNN_FIELD(double, "train.label_smoothing", train.label_smoothing),
        LRNN_FIELD(std::string, "train.precision", train.precision),
        LRNN_FIELD(std::int64_t, "train.eval_every", train.eval_every),
        LRNN_FIELD(std::int64_t, "train.eval_tokens", train.eval_tokens),
        LRNN_FIELD(std::int64_t, "train.log_every", train.log_every),
        LRNN_FIELD(std::int64_t, "train.checkpoint_every", train.checkpoint_every),
        LRNN_FIELD(int, "train.keep_checkpoints", train.keep_checkpoints),
        LRNN_FIELD(std::string, "train.on_save_error", train.on_save_error),
        LRNN_FIELD(int, "train.max_skipped_in_a_row", train.max_skipped_in_a_row),
        LRNN_FIELD(int, "train.early_stopping.patience", train.early_stopping.patience),
        LRNN_FIELD(double, "train.early_stopping.min_delta", train.early_stopping.min_delta),
        LRNN_FIELD(int, "generate.tokens", generate.tokens),
        LRNN_FIELD(double, "generate.temperature", generate.temperature),
        LRNN_FIELD(int, "generate.top_k", generate.top_k),
        LRNN_FIELD(double, "generate.top_p", generate.top_p),
        LRNN_FIELD(std::string, "generate.prompt", generate.prompt),
        LRNN_FIELD(std::int64_t, "generate.seed", generate.seed),
        LRNN_FIELD(std::string, "generate.weights", generate.weights),
        LRNN_FIELD(std::string, "dist.reduce", dist.reduce),
    };
    return fields;
}
#undef LRNN_FIELD

const Field* find_field(const std::string& key) {
    for (const Field& f : schema())
        if (f.key == key) return &f;
    return nullptr;
}

// A key that holds a mapping of keys ("train.early_stopping" of train.early_stopping.patience).
bool is_group(const std::string& key) {
    for (const Field& f : schema())
        if (f.key.size() > key.size() + 1 && f.key.compare(0, key.size() + 1, key + ".") == 0) return true;
    return false;
}

std::string group_keys(const std::string& group) {
    std::string keys;
    for (const Field& f : schema())
        if (f.key.compare(0, group.size() + 1, group + ".") == 0)
            keys += (keys.empty() ? "" : ", ") + f.key.substr(group.size() + 1);
    return keys;
}

const std::set<std::string>& section_names() {
    static const std::set<std::string> sections = {"run", "data", "model", "train", "generate", "dist"};
    return sections;
}

std::string unknown_key_message(const std::string& where, const std::string& key) {
    std::string msg = where + "unknown key '" + key + "'";
    std::string guess = closest_key(key);
    if (key.find('.') == std::string::npos) {
        // A top-level name: a misspelt section ("trian") is likelier than a key.
        for (const std::string& s : section_names())
            if (edit_distance(key, s) <= 2) guess = s;
    }
    if (!guess.empty()) msg += " (did you mean '" + guess + "'?)";
    else msg += " (see docs/config.md for the keys)";
    return msg;
}

std::string location(const std::string& file, const YAML::Mark& mark) {
    if (mark.is_null()) return file + ": ";
    return file + ":" + std::to_string(mark.line + 1) + ": ";
}

// Walks a parsed YAML document and sets every key it names. data.path is resolved against
// base_dir (the folder of the file that sets it). A top-level `include` is skipped when
// `includes_read` (load_train_config has applied those files first) and refused otherwise.
void apply_document(TrainConfig& config, const YAML::Node& root, const std::string& file,
                    const std::filesystem::path& base_dir, bool includes_read = false) {
    if (root.IsNull()) return;  // an empty file is an empty config
    if (!root.IsMap())
        throw UserError(location(file, root.Mark()) + "the config must be a mapping of sections "
                        "(run, data, model, train, generate, dist)");
    // YAML leaves duplicate keys to the parser, and yaml-cpp keeps both: refuse them rather
    // than let the last one win silently.
    std::map<std::string, std::string> first_seen;  // section or key -> where
    auto refuse_duplicate = [&](const std::string& name, const std::string& where) {
        const auto [it, fresh] = first_seen.emplace(name, where);
        if (!fresh)
            throw UserError(where + "'" + name + "' appears twice (first at " +
                            it->second.substr(0, it->second.size() - 2) + "); give each key once");
    };
    // The keys of a section, or of a group inside it (train.early_stopping: {patience: 3}).
    std::function<void(const std::string&, const YAML::Node&)> apply_keys = [&](const std::string& prefix,
                                                                                const YAML::Node& map) {
        for (const auto& entry : map) {
            const std::string key = prefix + "." + entry.first.Scalar();
            const std::string at = location(file, entry.first.Mark());
            const Field* f = find_field(key);
            if (!f && is_group(key)) {
                refuse_duplicate(key, at);
                if (entry.second.IsNull()) continue;
                if (!entry.second.IsMap())
                    throw UserError(at + key + " must be a mapping of its keys (" + group_keys(key) + ")");
                apply_keys(key, entry.second);
                continue;
            }
            if (!f) throw UserError(unknown_key_message(at, key));
            refuse_duplicate(key, at);
            f->set(config, entry.second, at);
            resolve_input_paths(config, key, base_dir);
        }
    };
    for (const auto& section : root) {
        const std::string name = section.first.Scalar();
        const std::string where = location(file, section.first.Mark());
        if (name == "include" && includes_read) {
            refuse_duplicate(name, where);
            continue;
        }
        if (name == "include")
            throw UserError(where + "include is read only from config files given to lrnn train, "
                            "not from a run's stored config");
        if (!section_names().count(name)) throw UserError(unknown_key_message(where, name));
        refuse_duplicate(name, where);
        if (section.second.IsNull()) continue;
        if (!section.second.IsMap())
            throw UserError(where + "section '" + name + "' must be a mapping of keys");
        apply_keys(name, section.second);
    }
}

YAML::Node load_yaml_file(const std::string& path, const std::string& not_found_note) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(path, ec)) throw UserError(path + ": config file not found" + not_found_note);
    if (fs::is_directory(path, ec))
        throw UserError(path + ": is a directory, expected a YAML config file" + not_found_note);
    try {
        return YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
        throw UserError(path + ": cannot read the config file" + not_found_note);
    } catch (const YAML::ParserException& e) {
        throw UserError(location(path, e.mark) + "YAML syntax error: " + e.msg);
    }
}

// The files a document includes, resolved against its folder, in the order given.
std::vector<std::string> included_files(const YAML::Node& root, const std::string& file) {
    std::vector<std::string> files;
    if (!root.IsMap()) return files;
    const std::filesystem::path folder = std::filesystem::path(file).parent_path();
    for (const auto& entry : root) {
        if (entry.first.Scalar() != "include") continue;
        const std::string where = location(file, entry.first.Mark());
        std::vector<YAML::Node> names;
        if (entry.second.IsScalar()) names.push_back(entry.second);
        else if (entry.second.IsSequence())
            for (const auto& n : entry.second) names.push_back(n);
        else
            throw UserError(where + "include expects a config file name or a list of them");
        for (const YAML::Node& n : names) {
            if (!n.IsScalar() || n.Scalar().empty())
                throw UserError(where + "include expects a config file name or a list of them");
            const std::filesystem::path p(n.Scalar());
            files.push_back((p.is_relative() ? folder / p : p).lexically_normal().string());
        }
    }
    return files;
}

std::string join_chain(const std::vector<std::string>& chain) {
    std::string text;
    for (const std::string& f : chain) text += (text.empty() ? "" : " includes ") + f;
    return text;
}

// Applies `path` after the files it includes (depth first, each before the keys of the file
// that names it). `chain`: the files from the top one down to `path`'s includer.
void apply_config_file(TrainConfig& config, const std::string& path, std::vector<std::string> chain) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto same_file = [&](const std::string& a) {
        return fs::weakly_canonical(fs::absolute(a), ec) == fs::weakly_canonical(fs::absolute(path), ec);
    };
    const bool cycle = std::any_of(chain.begin(), chain.end(), same_file);
    chain.push_back(path);
    if (cycle) throw UserError(join_chain(chain) + ": a cycle; a config cannot include itself");
    const YAML::Node root = load_yaml_file(path, chain.size() > 1 ? " (" + join_chain(chain) + ")" : "");
    for (const std::string& base : included_files(root, path)) apply_config_file(config, base, chain);
    apply_document(config, root, path, fs::absolute(path).parent_path(), true);
}

}  // namespace

std::string closest_key(const std::string& key) {
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(2, key.size() / 4) + 1;
    for (const Field& f : schema()) {
        std::size_t dist = edit_distance(key, f.key);
        // "lr" for "train.lr": also compare against the key without its section (and group)
        const std::string leaf = f.key.substr(f.key.find('.') + 1);
        dist = std::min({dist, edit_distance(key, leaf), edit_distance(key, f.key.substr(f.key.rfind('.') + 1))});
        if (dist < best_distance) best_distance = dist, best = f.key;
    }
    return best;
}

std::vector<std::string> config_keys() {
    std::vector<std::string> keys;
    for (const Field& f : schema()) keys.push_back(f.key);
    return keys;
}

std::string config_value(const TrainConfig& config, const std::string& key) {
    const Field* f = find_field(key);
    if (!f) throw UserError(unknown_key_message("", key));
    return f->get(config);
}

void apply_overrides(TrainConfig& config, const std::vector<std::string>& overrides) {
    std::map<std::string, std::string> given;  // key -> the override that set it
    for (const std::string& item : overrides) {
        const auto eq = item.find('=');
        const std::string where = "override '" + item + "': ";
        if (eq == std::string::npos || eq == 0)
            throw UserError(where + "expected key.path=value (e.g. train.lr=1e-3)");
        const std::string key = item.substr(0, eq);
        // As in the YAML: a key given twice is a mistake to point out, not a silent "last wins".
        if (const auto [it, fresh] = given.emplace(key, item); !fresh)
            throw UserError(where + key + " is given twice on the command line (first as '" + it->second + "')");
        const std::string value = item.substr(eq + 1);
        const Field* f = find_field(key);
        if (!f) throw UserError(unknown_key_message(where, key));
        YAML::Node node;
        try {
            node = YAML::Load(value);
        } catch (const YAML::Exception& e) {
            throw UserError(where + "cannot parse the value: " + e.msg);
        }
        if (node.IsNull() && f->kind == Kind::Text) node = YAML::Node(value);
        f->set(config, node, where);
        resolve_input_paths(config, key, std::filesystem::current_path());
    }
}

TrainConfig parse_train_config_text(const std::string& yaml_text, const std::string& origin) {
    TrainConfig config;
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text);
    } catch (const YAML::ParserException& e) {
        throw UserError(location(origin, e.mark) + "YAML syntax error: " + e.msg);
    }
    apply_document(config, root, origin, std::filesystem::current_path());
    validate(config);
    return config;
}

TrainConfig load_train_config(const ConfigSource& source) {
    TrainConfig config;
    if (!source.path.empty()) {
        apply_config_file(config, source.path, {});
        if (config.run.name.empty()) config.run.name = std::filesystem::path(source.path).stem().string();
    }
    apply_overrides(config, source.overrides);
    if (config.run.name.empty()) config.run.name = "run";
    validate(config);
    // Only where a person writes the config: a run's config.yaml lists every key, val_fraction too.
    if (!config.data.val_path_entries().empty() && config.explicit_keys.count("data.val_fraction"))
        throw UserError(config.key_origins["data.val_fraction"] +
                        "data.val_fraction and data.val_path are both given: the validation set is either "
                        "data.val_path's files or the last data.val_fraction of data.path's text; remove one");
    return config;
}

void validate(const TrainConfig& c) {
    // "c.yaml:12: train.lr must be > 0": the place the value came from, when it was given.
    auto origin = [&](const std::string& key) {
        const auto it = c.key_origins.find(key);
        return it == c.key_origins.end() ? std::string() : it->second;
    };
    auto check = [&](bool ok, const std::string& key, const std::string& what) {
        if (!ok) throw UserError(origin(key) + key + " " + what);
    };
    auto one_of = [&](const std::string& value, std::initializer_list<const char*> allowed,
                      const std::string& key) {
        for (const char* a : allowed)
            if (value == a) return;
        std::string list;
        for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
        throw UserError(origin(key) + key + " is '" + value + "', expected one of: " + list);
    };
    check(!c.run.name.empty() && c.run.name.find('/') == std::string::npos && c.run.name != "." &&
              c.run.name != "..",
          "run.name", "must be a folder name: not empty, not '.' or '..', without '/'");
    check(!c.run.dir.empty(), "run.dir", "must not be empty");
    check(!c.data.path_entries().empty(), "data.path", "is required: the training text (a file, a directory, a glob or a list of them)");
    check(!c.data.jsonl_field.empty(), "data.jsonl_field", "must not be empty (the JSON Lines field holding the text)");
    one_of(c.data.tokenizer, {"char", "word", "auto", "bpe", "unigram"}, "data.tokenizer");
    const bool subword = c.data.tokenizer == "bpe" || c.data.tokenizer == "unigram";
    check(!subword || (c.data.vocab_size >= kMinSubwordVocab && c.data.vocab_size <= kMaxSubwordVocab),
          "data.vocab_size", "must be in " + std::to_string(kMinSubwordVocab) + ".." + std::to_string(kMaxSubwordVocab) +
          " for a bpe or unigram tokenizer, got " + std::to_string(c.data.vocab_size));
    check(c.data.tokenizer_path.empty() || subword, "data.tokenizer_path",
          "names a SentencePiece model: set data.tokenizer to its kind, bpe or unigram (not '" + c.data.tokenizer + "')");
    check(c.data.val_fraction > 0 && c.data.val_fraction < 1, "data.val_fraction",
          "must be in (0, 1), got " + format_number(c.data.val_fraction));
    const ModelConfig& m = c.model.shape;
    check(m.n_layer >= 1 && m.n_layer <= 1024, "model.n_layer", "must be in 1..1024, got " + std::to_string(m.n_layer));
    check(m.n_embd >= 1 && m.n_embd <= 16384, "model.n_embd", "must be in 1..16384, got " + std::to_string(m.n_embd));
    check(m.n_head >= 1, "model.n_head", "must be >= 1, got " + std::to_string(m.n_head));
    if (!c.model.auto_size && m.n_embd % m.n_head != 0) {
        // Two keys disagree: name where each came from (a file line, an override or the default).
        auto from = [&](const std::string& key) {
            const std::string o = origin(key);
            return o.empty() ? std::string("the default") : o.substr(0, o.size() - 2);  // drop ": "
        };
        throw UserError("model.n_embd (" + std::to_string(m.n_embd) + ", " + from("model.n_embd") +
                        ") must be divisible by model.n_head (" + std::to_string(m.n_head) + ", " +
                        from("model.n_head") + ")");
    }
    check(m.ctx_len >= 2 && m.ctx_len <= (1 << 20), "model.ctx_len", "must be in 2..1048576, got " + std::to_string(m.ctx_len));
    check(m.decay_lora_rank >= 1 && m.decay_lora_rank <= 16384, "model.decay_lora_rank", "must be in 1..16384, got " + std::to_string(m.decay_lora_rank));
    check(m.ffn_multiplier > 0 && m.ffn_multiplier <= 64, "model.ffn_multiplier", "must be in (0, 64], got " + format_number(m.ffn_multiplier));
    if (!c.model.auto_size) {
        const double ffn_hidden = std::floor(double(m.n_embd) * m.ffn_multiplier);
        check(ffn_hidden >= 1 && ffn_hidden <= double(1 << 18), "model.ffn_multiplier",
              "(" + format_number(m.ffn_multiplier) + ") gives a feed-forward width floor(model.n_embd * " +
                  "model.ffn_multiplier) of " + format_number(ffn_hidden) + "; it must be in 1..262144");
    }
    check(m.n_mem_slots >= 1 && m.n_mem_slots <= 1024, "model.n_mem_slots", "must be in 1..1024, got " + std::to_string(m.n_mem_slots));
    const TrainSection& t = c.train;
    check(t.epochs >= 1, "train.epochs", "must be >= 1, got " + std::to_string(t.epochs));
    check(t.max_steps >= 0, "train.max_steps", "must be >= 0 (0 = no limit)");
    check(t.max_seconds >= 0, "train.max_seconds", "must be >= 0 (0 = no limit)");
    check(t.batch_chunks >= 1 && t.batch_chunks <= 65536, "train.batch_chunks", "must be in 1..65536, got " + std::to_string(t.batch_chunks));
    check(t.threads >= 0 && t.threads <= 4096, "train.threads", "must be in 0..4096 (0 = all cores), got " + std::to_string(t.threads));
    check(t.lr > 0, "train.lr", "must be > 0, got " + format_number(t.lr));
    check(t.min_lr >= 0 && t.min_lr <= t.lr, "train.min_lr", "must be in [0, train.lr], got " + format_number(t.min_lr));
    check(t.warmup_steps >= 0, "train.warmup_steps", "must be >= 0");
    one_of(t.schedule, {"constant", "cosine"}, "train.schedule");
    one_of(t.precision, {"fp32", "bf16", "bf16_amx"}, "train.precision");
    check(t.weight_decay >= 0, "train.weight_decay", "must be >= 0");
    check(t.grad_clip >= 0, "train.grad_clip", "must be >= 0 (0 = no clipping)");
    check(t.label_smoothing >= 0 && t.label_smoothing < 1, "train.label_smoothing", "must be in [0, 1)");
    check(t.eval_every >= 0, "train.eval_every", "must be >= 0 (0 = only at the end)");
    check(t.eval_tokens >= 0, "train.eval_tokens", "must be >= 0 (0 = all validation tokens)");
    check(t.log_every >= 1, "train.log_every", "must be >= 1");
    check(t.checkpoint_every >= 0, "train.checkpoint_every", "must be >= 0 (0 = only at the end)");
    check(t.keep_checkpoints >= 1, "train.keep_checkpoints", "must be >= 1");
    one_of(t.on_save_error, {"stop", "continue"}, "train.on_save_error");
    check(t.max_skipped_in_a_row >= 0, "train.max_skipped_in_a_row", "must be >= 0 (0 = never stop)");
    check(t.early_stopping.patience >= 0, "train.early_stopping.patience",
          "must be >= 0 (0 = off), got " + std::to_string(t.early_stopping.patience));
    check(t.early_stopping.min_delta >= 0, "train.early_stopping.min_delta",
          "must be >= 0, got " + format_number(t.early_stopping.min_delta));
    const GenerateSection& g = c.generate;
    check(g.tokens >= 1, "generate.tokens", "must be >= 1");
    check(g.temperature >= 0, "generate.temperature", "must be >= 0 (0 = greedy)");
    check(g.top_k >= 0, "generate.top_k", "must be >= 0 (0 = off)");
    check(g.top_p > 0 && g.top_p <= 1, "generate.top_p", "must be in (0, 1]");
    check(g.seed >= -1, "generate.seed", "must be >= 0, or -1 for a new random seed each time, got " + std::to_string(g.seed));
    one_of(c.generate.weights, {"float32", "bf16"}, "generate.weights");
    one_of(c.dist.reduce, {"exact", "fast"}, "dist.reduce");
}

ModelConfig resolve_model_config(const TrainConfig& config, std::size_t corpus_bytes,
                                 bool word_tokenizer, int vocab_size) {
    ModelConfig shape = config.model.shape;
    if (config.model.auto_size) {
        const ModelConfig table = auto_model_config(corpus_bytes, word_tokenizer);
        auto pick = [&]<typename M>(const char* key, M ModelConfig::*member) {
            if (!config.explicit_keys.count(key)) shape.*member = table.*member;
        };
        pick("model.n_layer", &ModelConfig::n_layer);
        pick("model.n_embd", &ModelConfig::n_embd);
        pick("model.n_head", &ModelConfig::n_head);
        pick("model.ctx_len", &ModelConfig::ctx_len);
        pick("model.decay_lora_rank", &ModelConfig::decay_lora_rank);
        pick("model.ffn_multiplier", &ModelConfig::ffn_multiplier);
        pick("model.n_mem_slots", &ModelConfig::n_mem_slots);
    }
    shape.vocab_size = vocab_size;
    if (shape.n_embd % shape.n_head != 0)
        throw UserError("model.n_embd (" + std::to_string(shape.n_embd) +
                        ") must be divisible by model.n_head (" + std::to_string(shape.n_head) + ")" +
                        (config.model.auto_size ? " (after model.auto)" : ""));
    shape.validate();
    return shape;
}

std::string to_yaml(const TrainConfig& config) {
    std::ostringstream out;
    std::string section, group;
    for (const Field& f : schema()) {
        const auto dot = f.key.find('.'), last = f.key.rfind('.');
        const std::string s = f.key.substr(0, dot), leaf = f.key.substr(last + 1);
        if (s != section) out << s << ":\n", section = s, group.clear();
        if (last == dot) {
            group.clear();
            out << "  " << leaf << ": " << f.get(config) << "\n";
            continue;
        }
        // A group (train.early_stopping): a nested mapping, as it is written in a config file.
        const std::string g = f.key.substr(dot + 1, last - dot - 1);
        if (g != group) out << "  " << g << ":\n", group = g;
        out << "    " << leaf << ": " << f.get(config) << "\n";
    }
    return out.str();
}

}  // namespace lrnn
