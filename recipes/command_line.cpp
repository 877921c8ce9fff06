#include "command_line.hpp"

#include <iostream>

#include <boost/program_options/parsers.hpp>
#include <boost/program_options/positional_options.hpp>
#include <boost/program_options/value_semantic.hpp>

namespace po = boost::program_options;

namespace lrnn::recipes {

namespace {

constexpr int kOptionStyle = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;

}  // namespace

std::optional<CommandLine> parse_command_line(int argc, char** argv, const po::options_description& options,
                                              Positional positional) {
    po::options_description all;
    all.add(options);
    po::positional_options_description positions;
    if (positional.name) {
        po::options_description hidden;
        hidden.add_options()(positional.name, po::value<std::vector<std::string>>());
        all.add(hidden);
        positions.add(positional.name, positional.max_count);
    }
    po::command_line_parser parser(argc, argv);
    parser.style(kOptionStyle).options(all);
    if (positional.name) parser.positional(positions);
    CommandLine line;
    po::store(parser.run(), line.options);
    po::notify(line.options);
    if (line.options.count("help")) {
        std::cout << options << "\n";
        return std::nullopt;
    }
    if (positional.name && line.options.count(positional.name))
        line.positional = line.options[positional.name].as<std::vector<std::string>>();
    return line;
}

}  // namespace lrnn::recipes
