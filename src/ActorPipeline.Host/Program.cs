using ActorPipeline.Host;

using var interrupts = Interrupts.FromProcess();
var live = !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null or "" or "false";
return await HostApp.RunAsync(args, new HostConsole(Console.Out, Console.Error, live, interrupts)
{
    OutIsTerminal = live && !Console.IsOutputRedirected,
});
