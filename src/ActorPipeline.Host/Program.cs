using ActorPipeline.Host;

return await HostApp.RunAsync(args, Console.Out, Console.Error);
