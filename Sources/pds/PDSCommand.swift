import PDSServer

@main
struct PDSCommand {
    static func main() {
        print("pds \(pdsVersion)")
    }
}
